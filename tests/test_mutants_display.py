"""What a number format shows around the digits, as Excel shows it (``values._display``).

Written from mutmut survivors of ``_display._literals`` (docs/testing.md): quoted text, escaped
characters, padding and fill, colours, and formats cut short, each through :func:`shown_text`,
the text a finding quotes as "what the clerk saw"."""

from __future__ import annotations

import pytest

from xltargets.values._display import shown_text


@pytest.mark.parametrize(("number", "code", "shown"), [
    (1234.5, '"¥"#,##0.00', "¥1,234.50"),          # quoted text before the digits
    (12, '0"元"', "12元"),                           # and after
    (12, '"共"0"个"', "共12个"),
    (12, '"ab"0"cd"', "ab12cd"),                     # each quote closes at the next one
    (12, '"a""b"0', "ab12"),                         # two quoted texts in a row
    (12, '""0"元"', "12元"),                         # an empty quoted text
    (12, '0"元', "12元"),                            # a quote never closed: the rest is text
    (12, '0\\元', "12元"),                           # an escaped last character
    (12, '0\\', "12\\"),                             # a backslash with nothing after it
    (-5, '0;\\-0', "-5"),                            # the negative section's own sign
    (-5, '0;[Red]\\-0', "-5"),                       # a colour prints nothing
    (-5, "0;(0)", "(5)"),                            # brackets for negatives
    (5, '_(* #,##0_);_(* (#,##0);_(* "-"_)', "5"),  # accounting: padding and fill print nothing
    (-5, '_(* #,##0_);_(* (#,##0);_(* "-"_)', "(5)"),
    (-5, "0", "-5"),                                 # one section: "-" before the digits
])
def test_the_text_around_the_digits_is_what_excel_shows(number, code, shown):
    assert shown_text(number, code) == shown
