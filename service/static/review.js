// Keyboard shortcuts for the review queue: j/k move, a approve, r reject, x select, o open,
// ? help. Decisions submit the card's own form, so the page works the same without this file.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var help = document.getElementById("help");
  var current = -1;

  function focusCard(index) {
    if (!cards.length) { return; }
    index = Math.max(0, Math.min(cards.length - 1, index));
    if (current >= 0 && cards[current]) { cards[current].classList.remove("active"); }
    current = index;
    cards[current].classList.add("active");
    cards[current].focus({ preventScroll: true });
    cards[current].scrollIntoView({ block: "nearest" });
  }

  function submit(selector) {
    if (current < 0) { return; }
    var form = cards[current].querySelector(selector);
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  function toggleHelp(show) {
    if (!help) { return; }
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  cards.forEach(function (card, index) {
    card.addEventListener("focus", function () {
      if (current !== index) { focusCard(index); }
    });
  });

  var hash = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  focusCard(hash ? Math.max(0, cards.indexOf(hash)) : 0);

  var closeButton = document.getElementById("help-close");
  if (closeButton) { closeButton.addEventListener("click", function () { toggleHelp(false); }); }

  // Moderators type Arabic: with the Arabic layout the J key sends "ت", so a key that is not a
  // Latin letter is read by its place on the keyboard (event.code) instead.
  function shortcutKey(event) {
    if (/^[a-z?]$/.test(event.key) || event.key === "Escape") { return event.key; }
    if (/^Key[A-Z]$/.test(event.code || "")) { return event.code.slice(3).toLowerCase(); }
    if (event.code === "Slash" && event.shiftKey) { return "?"; }
    return event.key;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target.matches && target.matches("input:not([type=checkbox]), textarea, select")) { return; }
    var key = shortcutKey(event);
    if (help && !help.hidden && key !== "?" && key !== "Escape") { return; }
    switch (key) {
      case "j": focusCard(current + 1); break;
      case "k": focusCard(current - 1); break;
      case "a": submit("form.approve-form"); break;
      case "r": submit("form.reject-form"); break;
      case "x":
        if (current >= 0) {
          var box = cards[current].querySelector("input[name=ids]");
          if (box) { box.checked = !box.checked; }
        }
        break;
      case "o":
        if (current >= 0) {
          var link = cards[current].querySelector("a.open");
          if (link) { window.location.href = link.href; }
        }
        break;
      case "?": toggleHelp(); break;
      case "Escape": toggleHelp(false); break;
      default: return;
    }
    event.preventDefault();
  });
})();
