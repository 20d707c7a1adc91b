"""The site's three rules. Their ids are a public contract: clients and evaluations rely on them."""

RULES: tuple[str, ...] = ("insult", "incitement", "religion")

RULE_DESCRIPTIONS: dict[str, str] = {
    "insult": (
        "Insulting or abusing the writer or any person, threatening them, wishing them death or "
        "harm, cursing them; swearing; obscenity."
    ),
    "incitement": (
        "Sectarian or racist incitement: hate against a group for its sect, religious community, "
        "race, ethnicity, origin, tribe, region or nationality."
    ),
    "religion": "Attacks on a religion, the sacred, prophets, scripture or God (any religion).",
}
