"""Colours the pages derive from the theme, for WCAG AA contrast whatever the brand colour."""

from __future__ import annotations

from .config import Theme

#: A few CSS names people use for brands; any other name gets white text (set
#: JWTAUTH_THEME_BUTTON_TEXT_COLOR to choose).
_NAMED = {
    "black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000",
    "blue": "#0000ff", "yellow": "#ffff00", "orange": "#ffa500", "purple": "#800080",
    "gray": "#808080", "grey": "#808080", "navy": "#000080", "teal": "#008080",
    "gold": "#ffd700", "pink": "#ffc0cb", "lime": "#00ff00", "cyan": "#00ffff",
    "aqua": "#00ffff", "magenta": "#ff00ff", "fuchsia": "#ff00ff", "maroon": "#800000",
    "olive": "#808000", "silver": "#c0c0c0", "indigo": "#4b0082", "crimson": "#dc143c",
    "tomato": "#ff6347", "coral": "#ff7f50", "khaki": "#f0e68c", "salmon": "#fa8072",
}  # fmt: skip
DARK_TEXT = "#111827"
LIGHT_TEXT = "#ffffff"


def rgb(colour: str) -> tuple[float, float, float] | None:
    """#rgb, #rgba, #rrggbb, #rrggbbaa or a known name, as 0-1 floats (alpha ignored)."""
    value = _NAMED.get(colour.lower(), colour)
    if not value.startswith("#"):
        return None
    digits = value[1:]
    if len(digits) in (3, 4):
        digits = "".join(d * 2 for d in digits[:3])
    elif len(digits) in (6, 8):
        digits = digits[:6]
    else:
        return None
    try:
        r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return None
    return r, g, b


def luminance(colour: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float | None:
    """The WCAG contrast ratio of two colours (1 to 21), or None for unknown ones."""
    ca, cb = rgb(a), rgb(b)
    if ca is None or cb is None:
        return None
    la, lb = sorted((luminance(ca), luminance(cb)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def button_text_color(theme: Theme) -> str:
    """The text on brand-coloured buttons: the app's choice, else dark or white, whichever
    contrasts more with the brand (a light yellow brand gets dark text)."""
    if theme.button_text_color:
        return theme.button_text_color
    dark = contrast(theme.brand_color, DARK_TEXT)
    light = contrast(theme.brand_color, LIGHT_TEXT)
    if dark is None or light is None:
        return LIGHT_TEXT
    return DARK_TEXT if dark > light else LIGHT_TEXT


def link_color(theme: Theme) -> str:
    """Links on the light card: the brand when it is readable there (4.5:1), else dark."""
    on_white = contrast(theme.brand_color, "#ffffff")
    return theme.brand_color if on_white is None or on_white >= 4.5 else DARK_TEXT
