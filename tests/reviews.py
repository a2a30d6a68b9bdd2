"""A review export for the import tests, made up here: the columns of a typical shop's review
download (an unnamed row number, product id, age, title, text, rating, recommended, helpful votes,
division, department, class), with fictional reviews of a home-goods shop.

Tests write the rows they need with this instead of reading data from outside the repository: a
clone on its own must pass `make test`. Deterministic: row n is the same in every run.
"""

from __future__ import annotations

HEADER = [
    "",
    "Product ID",
    "Age",
    "Title",
    "Review Text",
    "Rating",
    "Recommended IND",
    "Positive Feedback Count",
    "Division Name",
    "Department Name",
    "Class Name",
]

# (department, class, what is reviewed)
PRODUCTS = [
    ("Kitchen", "Pans", "frying pan"),
    ("Bedding", "Duvets", "duvet"),
    ("Bath", "Towels", "bath towel"),
    ("Living", "Lamps", "reading lamp"),
    ("Garden", "Planters", "planter"),
    ("Kitchen", "Knives", "bread knife"),
    ("Bedding", "Pillows", "pillow"),
]
PRAISE = [
    "arrived two days early and works perfectly",
    "is sturdy and looks better than in the photos",
    "was easy to set up and the instructions were clear",
    "has lasted through months of daily use",
    "feels solid and the colour matches the pictures",
]
COMPLAINTS = [
    "came with a dent and the return took three weeks",
    "stopped working after a month and nobody answered my e-mail",
    "was much smaller than the description said",
    "arrived without the parts shown on the box",
    "smells of chemicals even after washing it twice",
]
CLOSERS = [
    "I would buy it again.",
    "Delivery was on time.",
    "The courier left it with a neighbour.",
    "Customer service was friendly on the phone.",
    "I had to call twice to find out where it was.",
    "The packaging was far too big.",
]
TITLES = ["", "Good value", "Not as described", "Love it", "Disappointed", "Does the job"]
ADJECTIVES = ["Sturdy", "Wobbly", "Bright", "Tiny", "Heavy", "Soft", "Faded", "Clever", "Noisy", "Elegant"]
WHERE = ["kitchen", "guest room", "balcony", "hallway", "bathroom", "attic", "studio", "nursery"]
NO_WORDS_EVERY = 23  # now and then a rating without words, as real exports have


def review(n: int) -> list[str]:
    """Row n of the export (n counts from 0)."""
    department, kind, thing = PRODUCTS[n % len(PRODUCTS)]
    rating = [4, 5, 2, 1, 3][n % 5]
    opinions = PRAISE if rating >= 4 else COMPLAINTS
    text = (
        f"The {thing} {opinions[(n // 5) % len(opinions)]}. "
        f"{CLOSERS[(n // 7) % len(CLOSERS)]} (order from week {n % 52 + 1})"
    )
    if n % NO_WORDS_EVERY == NO_WORDS_EVERY - 1:
        text = ""
    # Most titles repeat; every eleventh is one of a kind (three words or more).
    title = TITLES[n % len(TITLES)]
    if n % 11 == 3:
        title = f"{ADJECTIVES[n % len(ADJECTIVES)]} {thing} for the {WHERE[(n // 11) % len(WHERE)]} {n}"
    return [
        str(n),
        str(1000 + n % 40),
        str(25 + n % 40),
        title,
        text,
        str(rating),
        "1" if rating >= 4 else "0",
        str(n % 9),
        "General",
        department,
        kind,
    ]


def review_rows(count: int, *, with_text: bool = True) -> list[list[str]]:
    """The header and the first `count` reviews that have words (or, asked, that have none)."""
    rows: list[list[str]] = []
    n = 0
    while len(rows) < count:
        row = review(n)
        if bool(row[4]) == with_text:
            rows.append(row)
        n += 1
    return [HEADER, *rows]


def export(count: int) -> list[list[str]]:
    """The header and the first `count` rows as the shop exports them, with and without words."""
    return [HEADER, *(review(n) for n in range(count))]
