import unicodedata


def fold(text: str) -> str:
    """Lower-case without diacritics ("Phường Đông Kinh" → "phuong dong kinh"), so a search matches whatever
    the user types, with or without accents (agencies are searched on this folded text, Agency.search_text)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
