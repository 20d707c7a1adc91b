"""A small hand-made corpus for the retraining tests: short comments built from phrases whose
rule is known, in Arabic script (Darija, MSA) and Latin script (Arabizi, French).

``make_rows(seed)`` returns the same rows for the same seed. Every comment is a clean opening
plus, for a violation, one phrase of its rule, so a linear model learns the rules from a few
hundred rows in well under a second, and a model trained on shuffled labels is plainly worse."""

from __future__ import annotations

import json
import random
from pathlib import Path

CLEAN = [
    "الماتش ديال البارح كان زوين",
    "شكرا على هاد المقال المفيد",
    "الحكومة خاصها تحل مشكل الماء",
    "الطريق ديال الدوار محتاجة اصلاح",
    "مبروك للفريق الوطني على التأهل",
    "الأسعار طلعات بزاف هاد العام",
    "المدرسة ديال الحي ما فيهاش أساتذة",
    "نتمنى الشفاء للمصابين",
    "التعليم هو مستقبل البلاد",
    "المهرجان كان ناجح هاد السنة",
    "خاص المسؤولين يسمعو للمواطنين",
    "الجو زوين فالرباط اليوم",
    "bravo 3la had lmaqal",
    "lah ykhlf 3la lfellah",
    "merci pour cet article clair",
    "le match était magnifique hier",
    "l'eau manque dans notre village",
    "tbarkellah 3la lmuntakhab",
]
INSULT = [
    "يا الحمار",
    "يا ولد الحرام",
    "سير تقود يا الكلب",
    "أنت حقير وكذاب",
    "يا المكلخ",
    "nta 7mar",
    "wld l9a7ba",
    "espèce de connard",
    "ferme ta gueule imbécile",
]
INCITEMENT = [
    "هؤلاء الأفارقة حشرات يجب طردهم",
    "العروبية خاصهم يتحرقو",
    "اطردو هاد الأجانب من بلادنا",
    "les migrants sont des rats à chasser",
    "had l3rab khasshom yt9tlo",
]
RELIGION = [
    "نعل دين مك",
    "الدين ديالكم خرافة وسخة",
    "الله يلعن دينك",
    "tfo 3la dinek",
    "ta religion est une ordure",
]
RULES = ("insult", "incitement", "religion")
PHRASES = {"insult": INSULT, "incitement": INCITEMENT, "religion": RELIGION}


def make_rows(seed: int = 0, n: int = 420) -> list[dict]:
    """Return ``n`` unified-format rows: ~55% clean, the rest one rule each; 70/15/15 split."""
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < n:
        roll = rng.random()
        rule = (
            None
            if roll < 0.55
            else "insult"
            if roll < 0.72
            else "incitement"
            if roll < 0.86
            else "religion"
        )
        parts = rng.sample(CLEAN, 2)
        if rule:
            parts.insert(rng.randrange(3), rng.choice(PHRASES[rule]))
        text = " ".join(parts)
        if text in seen:
            continue
        seen.add(text)
        labels = {r: int(r == rule) for r in RULES}
        split = "train" if len(rows) % 20 < 14 else "dev" if len(rows) % 20 < 17 else "test"
        rows.append(
            {"id": f"hand-{seed}-{len(rows)}", "text": text, "split": split, "labels": labels}
        )
    return rows


def shuffle_train_labels(rows: list[dict], seed: int = 1) -> list[dict]:
    """Return the rows with the training rows' labels shuffled among them (dev/test untouched)."""
    train = [r for r in rows if r["split"] == "train"]
    labels = [r["labels"] for r in train]
    random.Random(seed).shuffle(labels)
    shuffled = iter(labels)
    return [{**r, "labels": next(shuffled)} if r["split"] == "train" else r for r in rows]


def write_corpus(directory: Path, rows: list[dict]) -> Path:
    """Write ``rows`` as a corpus folder (one JSONL file) and return the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "hand.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return directory
