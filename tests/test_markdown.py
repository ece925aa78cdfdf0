"""Lesson HTML is rendered once, in one place, and can never carry script."""
import pytest

from course.markdown import render_markdown

HOSTILE = [
    '<script>alert(1)</script>',
    '<img src=x onerror="alert(1)">',
    '[click](javascript:alert(1))',
    '<svg onload=alert(1)>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '![x](javascript:alert(1))',
    '<iframe src="https://example.org"></iframe>',
    '<<script>script>alert(1)<</script>/script>',
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markdown_comes_out_inert(payload):
    html = str(render_markdown(f"Text before.\n\n{payload}\n\nText after."))
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<svg" not in lowered and "<iframe" not in lowered
    assert "onerror=" not in lowered.replace("&lt;", "") or "<img" not in lowered
    assert 'href="javascript' not in lowered and "href=\"jav" not in lowered
    assert "Text after." in html


def test_boxes_tables_and_footnotes_render():
    html = str(render_markdown("::: key-terms\n**Migrant**: umbrella term.\n:::\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                               "Note.[^1]\n\n[^1]: Source."))
    assert '<div class="box box-key-terms" role="note">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'class="footnote-ref"' in html and "Source." in html


def test_unknown_box_name_is_plain_text():
    html = str(render_markdown("::: danger\nBoo\n:::"))
    assert "box-danger" not in html
