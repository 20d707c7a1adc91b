// Keyboard shortcuts for the review queue: j/k move, a approve, r reject, x select, o open,
// ? help. Decisions submit the card's own form, so the page works the same without this file.
// Long comments in the queue are folded to a few lines with a "show all" button; without this
// file nothing is folded and the whole text shows.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var help = document.getElementById("help");
  var current = -1;

  // Make a card the one the shortcuts act on, without moving the focus.
  function activate(index) {
    if (current >= 0 && cards[current]) {
      cards[current].classList.remove("active");
      cards[current].removeAttribute("aria-current");
    }
    current = index;
    cards[current].classList.add("active");
    // A screen reader says which card a, r, x and o will act on, not only the blue ring.
    cards[current].setAttribute("aria-current", "true");
  }

  function focusCard(index) {
    if (!cards.length) { return; }
    index = Math.max(0, Math.min(cards.length - 1, index));
    activate(index);
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
    var wasHidden = help.hidden;
    help.hidden = show === undefined ? !help.hidden : !show;
    // The dialog takes the focus when it opens, so it is announced, and gives it back to the
    // active card when it closes.
    if (wasHidden && !help.hidden) {
      var close = document.getElementById("help-close");
      if (close) { close.focus(); }
    } else if (!wasHidden && help.hidden && current >= 0) {
      cards[current].focus({ preventScroll: true });
    }
  }

  cards.forEach(function (card, index) {
    card.addEventListener("focus", function () {
      if (current !== index) { focusCard(index); }
    });
    // A control inside a card (the "show all" button, a checkbox) makes that card the active
    // one, so that j/k/a/r pressed next act from there and never on a card left behind.
    card.addEventListener("focusin", function (event) {
      if (event.target !== card && current !== index) { activate(index); }
    });
  });

  // Long comments. The fold is measured, not guessed from the length: what counts is how many
  // lines the text takes at this width, newlines and all. A text is folded only when that hides
  // at least MIN_HIDDEN_LINES lines; a button that reveals one more line is not worth a click.
  //
  // Highlighted matches are never hidden silently: while a text is folded, the line beside the
  // button says how many highlighted words lie in the hidden part (in red if one is a block
  // term), and whether the passage a model score came from reaches into it. We chose a count
  // over unfolding every card with a match below the fold because held comments usually have
  // matches, so unfolding them would bring back the wall of text; the count tells the moderator
  // to look, and the matched terms are listed under the scores anyway.
  //
  // Comment text is untrusted: this code only adds classes and sets textContent from the
  // labels the server wrote in data attributes; it never builds HTML.
  var MIN_HIDDEN_LINES = 2;
  var folds = [];

  function isBelow(element, bottom) {
    var rects = element.getClientRects();  // one per line the element spans
    for (var i = 0; i < rects.length; i++) {
      if (rects[i].top >= bottom - 1) { return true; }
    }
    return false;
  }

  function hiddenMarks(text) {
    var bottom = text.getBoundingClientRect().bottom;
    var count = 0;
    var block = false;
    Array.prototype.forEach.call(text.querySelectorAll("mark"), function (mark) {
      if (isBelow(mark, bottom)) {
        count += 1;
        block = block || mark.classList.contains("kw-block");
      }
    });
    // The passage a model score came from (a long comment's): said apart from the words.
    var passage = Array.prototype.some.call(text.querySelectorAll(".passage"), function (span) {
      return isBelow(span, bottom);
    });
    return { count: count, block: block, passage: passage };
  }

  function render(fold) {
    var expanded = fold.expanded;
    fold.text.classList.toggle("clamped", !expanded);
    fold.button.setAttribute("aria-expanded", expanded ? "true" : "false");
    fold.button.textContent = expanded ? fold.button.dataset.less : fold.button.dataset.show;
    var hidden = expanded ? { count: 0, block: false, passage: false } : hiddenMarks(fold.text);
    var notes = [];
    if (hidden.count) { notes.push(fold.note.dataset.template.replace("{n}", String(hidden.count))); }
    if (hidden.passage) { notes.push(fold.note.dataset.passage); }
    fold.note.textContent = notes.join(" · ");
    fold.note.classList.toggle("block", hidden.block);
    fold.note.hidden = !notes.length;
  }

  function measure(fold) {
    if (fold.expanded) { return; }  // the moderator opened it: leave it open
    fold.text.classList.add("clamped");
    var lineHeight = parseFloat(window.getComputedStyle(fold.text).lineHeight) || 24;
    var isLong = fold.text.scrollHeight - fold.text.clientHeight >= MIN_HIDDEN_LINES * lineHeight;
    fold.more.hidden = !isLong;
    if (isLong) {
      render(fold);
    } else {
      fold.text.classList.remove("clamped");
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll(".card .text-more"), function (more) {
    var card = more.closest(".card");
    var fold = {
      card: card, more: more, expanded: false,
      text: card.querySelector("p.text"),
      button: more.querySelector("button.text-toggle"),
      note: more.querySelector(".hidden-marks")
    };
    if (!fold.text || !fold.button || !fold.note) { return; }
    fold.button.addEventListener("click", function () {
      // A click does not focus a button in every browser (Safari): make its card active here.
      var index = cards.indexOf(card);
      if (index >= 0 && current !== index) { activate(index); }
      fold.expanded = !fold.expanded;
      render(fold);
      // Folding a long text moves the button up, maybe out of sight: bring it back.
      if (!fold.expanded) { fold.button.scrollIntoView({ block: "nearest" }); }
    });
    folds.push(fold);
    measure(fold);
  });

  function measureAll() { folds.forEach(measure); }
  var resizing = false;
  window.addEventListener("resize", function () {
    if (resizing) { return; }
    resizing = true;
    window.requestAnimationFrame(function () { resizing = false; measureAll(); });
  });
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(measureAll); }

  var hash = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  focusCard(hash ? Math.max(0, cards.indexOf(hash)) : 0);

  // A form (or its button) with data-confirm changes the whole site at once: hiding a base
  // term, deleting an override, rejecting a selection. Ask first; the server's words are shown
  // as plain text by confirm(), never as HTML.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var question = (submitter && submitter.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

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
    // A decision or a selection only while the focus is on a card (or nowhere): a letter typed
    // on the language link or the logout button, or sent by a screen reader's navigation or by
    // speech input, must never publish or reject a comment the person cannot see is chosen.
    var onCard = target === document.body || (target.closest && target.closest("article.card"));
    if (!onCard && ["a", "r", "x", "o"].indexOf(key) >= 0) { return; }
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
