"""The sanitiser on hostile HTML: nothing executable, no request leaving for another host."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto.mime.sanitize import RAW_ELEMENTS, clean_style, drop_raw_elements, sanitize_html, text_to_html

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\" &#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<base href=\"https://evil.example/\">",
    "<form action=\"https://evil.example\"><input name=a></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='alert(1)'/></svg>#x\"/></svg>",
    "<svg><filter><feImage href=\"https://evil.example/x.png\"/></filter></svg>",
    "<div style=\"background:url(https://evil.example/t.png)\">x</div>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<div style=\"background-image: image-set('https://evil.example/a.png' 1x)\">x</div>",
    "<div style=\"color: var(--x); --x: url(https://evil.example)\">x</div>",
    "<div style=\"background:u\\72l(https://evil.example/e.png)\">x</div>",
    "<style>@import url(https://evil.example/a.css);</style><p>x</p>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<object data=\"https://evil.example/x.swf\"></object><embed src=\"https://evil.example\">",
    "<img src=\"https://tracker.example/pixel.gif\" width=1 height=1>",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<p style=\"font-family: 'Remote'; src: url(https://fonts.example/f.woff)\">x</p>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">ok</a>",
    "<table background=\"https://evil.example/bg.png\"><tr><td>x</td></tr></table>",
    "<img srcset=\"https://evil.example/a.png 1x\" src=\"cid:logo\">",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<img src=`javascript:alert(1)`>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\"  javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<body onload=alert(1)>",
    "<div onmouseover=\"alert(1)\">survol</div>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<frameset><frame src=\"https://evil.example\"></frameset>",
    "<applet code=\"x\"></applet>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<template><img src=x onerror=alert(1)></template>",
    "<noembed><img src=x onerror=alert(1)></noembed>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=1 y=1>x</text></a></svg>",
    "<math><a xlink:href=\"javascript:alert(1)\">x</a></math>",
    "<p style=\"behavior: url(x.htc)\">x</p>",
    "<p style=\"-moz-binding: url(https://evil.example/x.xml#x)\">x</p>",
    "<p style=\"background:&#117;rl(https://evil.example/y.png)\">x</p>",
    "<p style=\"background-image:\\75 rl(https://evil.example/z.png)\">x</p>",
    "<!--[if IE]><script>alert(1)</script><![endif]--><p>x</p>",
    "<p>a</p><script src=\"https://evil.example/x.js\"></script>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_executable_and_no_remote_request_survives(source: str) -> None:
    out = sanitize_html(source, cid_url="/piece/__CID__/").html.lower()
    assert "<script" not in out and "javascript:" not in out and "data:" not in out
    assert not re.search(r"\son[a-z]+\s*=", out)
    for tag in ("<iframe", "<base", "<form", "<meta", "<svg", "<object", "<embed", "<link",
                "<style", "<math", "<textarea", "<noscript", "<feimage", "<animate"):
        assert tag not in out
    assert "url(" not in out and "expression" not in out and "image-set" not in out
    assert "evil.example" not in out.replace('title="https://', "") or 'href="https://evil' not in out
    # No attribute may make the browser fetch another host.
    assert not re.search(r'\s(src|srcset|background|data|action|poster)="https?://', out)


def test_remote_images_are_held_back_until_allowed() -> None:
    source = '<p>Bonjour</p><img src="https://news.example/banner.png" alt="Bannière">'
    held = sanitize_html(source)
    assert held.remote_images == 1 and 'data-blocked="1"' in held.html and "news.example" not in held.html
    shown = sanitize_html(source, allow_remote=True)
    assert 'src="https://news.example/banner.png"' in shown.html


def test_links_open_in_a_new_tab_and_show_their_target() -> None:
    out = sanitize_html('<a href="https://sante.example/grippe">Consulter</a>').html
    assert 'target="_blank"' in out and 'rel="noopener noreferrer nofollow"' in out
    assert 'title="https://sante.example/grippe"' in out


def test_newsletter_layout_is_kept() -> None:
    source = ('<table width="600" cellpadding="0" style="background:#fff;border-radius:8px;font-family:Arial">'
              '<tr><td style="padding:24px;color:rgb(30,42,59)"><h2 style="color:#003189">Titre</h2></td></tr></table>')
    out = sanitize_html(source).html
    assert 'width="600"' in out and "padding: 24px" in out and "rgb(30,42,59)" in out.replace(", ", ",")
    assert "background: #fff" in out


def test_cid_images_are_served_from_the_message() -> None:
    out = sanitize_html('<img src="cid:logo@x">', cid_url="/m/piece/__CID__/").html
    assert 'src="/m/piece/logo%40x/"' in out


def test_clean_style() -> None:
    assert clean_style("color: red; position: fixed; background: url(x)") == "color: red"
    assert clean_style("color: rgb(1,2,3)") == "color: rgb(1,2,3)"
    assert clean_style("width: calc(100% - var(--x))") == ""


def test_plain_text_that_looks_like_html_stays_text() -> None:
    out = text_to_html("<script>alert(1)</script>\nVoir https://sante.example/a?b=1&c=2")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<a href="https://sante.example/a?b=1&amp;c=2"' in out and 'rel="noopener noreferrer nofollow"' in out


@pytest.mark.parametrize("source", [
    "<svg" * 10_000,                                  # 40 KB: ~2 s with the old lazy pattern
    "<script>" * 5_000 + "x",
    "<style a='" + "</style" * 5_000,
    ("<svg><p>texte</p>" * 3_000),
])
def test_raw_elements_are_dropped_in_linear_time(source: str) -> None:
    started = time.perf_counter()
    drop_raw_elements(source)
    assert time.perf_counter() - started < 0.05


@pytest.mark.parametrize(("source", "expected"), [
    ("a<script>alert(1)</script>b", "ab"),
    ("a<SCRIPT type=x>alert(1)</script >b<style>p{}</STYLE>c", "abc"),
    ("a<svg><script>x</script></svg>b", "ab"),
    ("a<scripts>kept</scripts>b", "a<scripts>kept</scripts>b"),   # another name entirely
    ("a<noscript><p title='</noscript><img src=x onerror=alert(1)>'></noscript>b",
     "a<img src=x onerror=alert(1)>'></noscript>b"),  # then bleach's job: tested above
    ("a<textarea>never closed", "a"),
    ("a</script>b", "a</script>b"),                                # a lone closing tag: left to bleach
    ("<svg></svg  \n>x<math></math>y", "xy"),
])
def test_raw_elements_go_with_their_content(source: str, expected: str) -> None:
    assert drop_raw_elements(source) == expected


# The pattern drop_raw_elements replaced: the reference its answers are checked against on
# inputs small enough for its quadratic cost.
OLD_RAW_CONTENT = re.compile(r"<(" + "|".join(RAW_ELEMENTS) + r")\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
PIECES = ["<svg>", "</svg>", "<SVG ", "</svg >", "<script>", "</script>", "<style>", "</style\n>", "<p>",
          "</p>", "texte", ">", "<", "'", "<svgx>", "<math>", "</math>"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_same_answer_as_the_old_pattern_when_every_element_closes(source: str) -> None:
    old = OLD_RAW_CONTENT.sub("", source)
    new = drop_raw_elements(source)
    # The old pattern left an element never closed in place, content and all; now it goes
    # with the rest of the document. Otherwise both agree.
    assert new == old or (old.startswith(new) and re.search(
        r"<(" + "|".join(RAW_ELEMENTS) + r")\b", old[len(new):], re.IGNORECASE))


@pytest.mark.parametrize("source", [
    "<div>" * 20_000,                 # nested: 16 s in html5lib's tree builder before
    "<p " + "a " * 50_000,            # one tag, 50,000 attributes: 3 s
    "<b><i><u>x</b></i></u>" * 4_000,
])
def test_cleaning_stops_at_its_budget(source: str) -> None:
    started = time.perf_counter()
    result = sanitize_html(source, budget=0.2)
    assert time.perf_counter() - started < 1.0
    assert result.over_budget and result.html == ""


def test_a_usual_newsletter_is_well_within_the_budget() -> None:
    newsletter = ("<table><tr><td style='color:#333'><p>Lettre <b>GHT</b> : <a href='https://x.fr/'>"
                  "programme</a></p></td></tr></table>") * 300
    result = sanitize_html(newsletter)
    assert not result.over_budget and "programme" in result.html


def test_the_compose_cleaner_has_the_same_budget() -> None:
    from mailproto.mime import compose_html

    started = time.perf_counter()
    assert compose_html.compose_html_clean("<div>" * 40_000) == ""
    assert time.perf_counter() - started < 2.5
    assert compose_html.compose_html_clean("<p>Bonjour <b>Julien</b></p>") == "<p>Bonjour <b>Julien</b></p>"


def test_quoted_font_names_survive() -> None:
    """A style's character references used to end the declaration at the ';' of &quot;."""
    out = sanitize_html('<p style="color: red; font-family: &quot;Segoe UI&quot;, Arial">x</p>').html
    assert 'style="color: red; font-family: &quot;Segoe UI&quot;, Arial"' in out


def test_rewriting_works_on_the_parsed_tree_not_the_string() -> None:
    """A '>' or a quote inside an attribute value cannot move where a tag ends."""
    out = sanitize_html('<a title="a > b" href="https://x.fr/a>b?q=&quot;c">t</a>'
                        '<img alt="x>y" src="https://img.fr/p.png">').html
    assert 'href="https://x.fr/a&gt;b?q=&quot;c"' in out and 'target="_blank"' in out
    assert '<img alt="x>y" data-blocked="1">' in out  # the old string pass stopped at that '>'


def test_references_in_urls_are_read_as_a_browser_reads_them() -> None:
    out = sanitize_html('<a href="https://x.fr/?a=1&amp;b=2&copy=3">l</a>').html
    assert 'href="https://x.fr/?a=1&amp;b=2&amp;copy=3"' in out  # &copy without ';' is text
    assert "<a>j</a>" in sanitize_html('<a href="jav&#x61;script:alert(1)">j</a>').html
