"""Templates (strict, sandboxed, include/extend) and style presets (inheritance, cycles, promises)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _suite_helpers import line_of, write

from harness.errors import HarnessError, SuiteError, ValidationFailed
from harness.suite import StyleLibrary, expand, load_suite
from harness.suite.styles import fold_negative, join_sentences
from harness.suite.templates import PROJECT_TEMPLATES, render, search_dirs, template_variables


def _dirs(root: Path) -> tuple[Path, ...]:
    return (root / "templates" / "prompts",)


def test_render_strict_and_tidy(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/t.j2", "A {{ color }}\n   {{ thing }}.\n\nSecond   para.\n")
    assert render("t", {"color": "red", "thing": "cup"}, _dirs(tmp_path)) == "A red cup.\n\nSecond para."


def test_missing_variable_names_template_variable_case_and_suite_line(tmp_path: Path) -> None:
    tpl = write(tmp_path, "templates/prompts/t.j2", "Intro.\nA {{ color }} {{ thing }}.\n")
    with pytest.raises(SuiteError) as info:
        render("t", {"color": "red"}, _dirs(tmp_path), file=tmp_path / "s.yaml", line=7, case="c1")
    text = str(info.value)
    assert f"{tpl}:2" in text, text  # the template file and the line that used it
    assert "needs variable 'thing'" in text and "case 'c1'" in text and "s.yaml:7" in text
    assert "vars:" in text  # says what to do


def test_include_and_extends_work_and_errors_point_into_the_base(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/_base.j2", "{% block a %}{% endblock %} {% include '_tail.j2' %}")
    tail = write(tmp_path, "templates/prompts/_tail.j2", "with\n{{ finish }} finish")
    write(
        tmp_path, "templates/prompts/child.j2", "{% extends '_base.j2' %}{% block a %}A {{ x }}{% endblock %}"
    )
    assert render("child", {"x": "cup", "finish": "matte"}, _dirs(tmp_path)) == "A cup with matte finish"
    with pytest.raises(SuiteError) as info:
        render("child", {"x": "cup"}, _dirs(tmp_path), case="c")
    assert f"{tail}:2" in str(info.value) and "'finish'" in str(info.value)


def test_template_variables_follow_extends_include_and_import(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/_base.j2", "{% block a %}{% endblock %} {% include '_tail.j2' %}")
    write(tmp_path, "templates/prompts/_tail.j2", "{% import '_m.j2' as m %}{{ m.say(finish) }}")
    write(tmp_path, "templates/prompts/_m.j2", "{% macro say(v) %}{{ v }} {{ tone }}{% endmacro %}")
    write(
        tmp_path,
        "templates/prompts/child.j2",
        "{% extends '_base.j2' %}{% block a %}{% set y = 1 %}{{ x }}{% for i in range(y) %}{% endfor %}"
        "{% endblock %}",
    )
    write(tmp_path, "templates/prompts/pick.j2", "{% include which %}")
    dirs = _dirs(tmp_path)
    assert template_variables("child", dirs) == {"x", "finish", "tone"}
    assert template_variables("pick", dirs) is None  # named by an expression: unknowable
    assert template_variables("nowhere", dirs) is None


def test_unknown_template_lists_available_and_near_miss(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/product.j2", "x")
    write(tmp_path, "templates/prompts/_private.j2", "x")
    with pytest.raises(SuiteError) as info:
        render("prodcut", {}, _dirs(tmp_path))
    text = str(info.value)
    assert "unknown template 'prodcut'" in text and "Did you mean 'product'?" in text
    assert "available: product" in text and "_private" not in text


def test_missing_include_names_the_including_template(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/t.j2", "A\n{% include 'gone.j2' %}")
    with pytest.raises(SuiteError, match=r"t\.j2:2 includes 'gone\.j2'"):
        render("t", {}, _dirs(tmp_path))


def test_jinja_syntax_error_names_template_file_and_line(tmp_path: Path) -> None:
    tpl = write(tmp_path, "templates/prompts/bad.j2", "line one\n{% if x %}never closed\n")
    with pytest.raises(SuiteError) as info:
        render("bad", {"x": 1}, _dirs(tmp_path))
    assert "Jinja syntax error" in str(info.value) and str(tpl) in str(info.value)
    assert ".j2:" in str(info.value)


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/evil.j2", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SuiteError, match="evil"):
        render("evil", {}, _dirs(tmp_path))


def test_search_path_suite_dir_first_then_nearest_parent_then_project(tmp_path: Path) -> None:
    suite = write(tmp_path, "a/b/s.yaml", "suite: x\ncases: [{id: c, prompt: p}]\n")
    write(tmp_path, "a/b/templates/prompts/own.j2", "x")
    write(tmp_path, "templates/prompts/up.j2", "x")
    dirs = search_dirs(suite, "prompts")
    assert dirs[0] == (tmp_path / "a/b/templates/prompts").resolve()
    assert dirs[1] == (tmp_path / "templates/prompts").resolve()
    assert dirs[-1] == (PROJECT_TEMPLATES / "prompts").resolve()


def test_suite_local_template_shadows_project_template(tmp_path: Path) -> None:
    write(tmp_path, "templates/prompts/product.j2", "LOCAL {{ product }}")
    suite = write(
        tmp_path,
        "s.yaml",
        """
        suite: demo
        cases: [{id: a, template: product, vars: {product: cup}}]
    """,
    )
    assert expand(load_suite(suite))[0].steps[0].prompt == "LOCAL cup"


@pytest.mark.parametrize(
    ("name", "variables", "expected"),
    [
        ("product", {"product": "watch", "color": "silver"}, "A silver watch"),
        (
            "character",
            {"character": "a small orange cat", "outfit": "a blue scarf"},
            "A small orange cat wearing",
        ),
        ("poster", {"title": "SUMMER SALE", "subject": "a yellow sun"}, '"SUMMER SALE"'),
        ("scene", {"place": "a harbour", "objects": ["a red boat", "a bird"]}, "with a red boat, a bird"),
        ("product-keywords", {"product": "cup"}, "cup, product photo"),
        ("product-narrative", {"product": "cup"}, "studio photograph of a cup"),
    ],
)
def test_shipped_templates_render(name: str, variables: dict, expected: str) -> None:
    text = render(name, variables, (PROJECT_TEMPLATES / "prompts",))
    assert expected in text and "\n" not in text


def test_shipped_template_requires_its_main_variable() -> None:
    with pytest.raises(SuiteError, match="needs variable 'product'"):
        render("product", {}, (PROJECT_TEMPLATES / "prompts",))


# ---- style presets ----------------------------------------------------------------------------


def test_fold_negative_hints_into_words() -> None:
    assert fold_negative(["no text", "no watermark"]) == "without text or watermark"
    assert fold_negative(["no text, no watermark", "blur", "text"]) == "without text, watermark or blur"
    assert fold_negative([]) == ""


def test_join_sentences_punctuates_fragments() -> None:
    assert join_sentences("Studio photo.", "a red cup", None, "white background") == (
        "Studio photo. A red cup. White background"
    )


def _library(root: Path) -> StyleLibrary:
    return StyleLibrary([root / "templates" / "styles"])


def test_preset_inheritance_merges_child_over_parent(tmp_path: Path) -> None:
    write(
        tmp_path,
        "templates/styles/base.yaml",
        """
        version: "2"
        prefix: "Base prefix."
        suffix: "Base suffix."
        negative: [no text]
        image: {aspect_ratio: "4:3", image_size: 1K}
        references: [ref-base.png]
        vars: {mood: calm, light: soft}
        expect: [{aspect_ratio: "4:3"}, {warmer: true}]
    """,
    )
    write(
        tmp_path,
        "templates/styles/child.yaml",
        """
        name: child
        version: "1.1"
        extends: base
        suffix: "Child suffix."
        negative: "no watermark"
        image: {aspect_ratio: "1:1"}
        references: [ref-child.png]
        vars: {light: hard}
        expect: [{aspect_ratio: "1:1"}]
    """,
    )
    style = _library(tmp_path).resolve("child")
    assert style.version == "1.1" and style.inherits == ["base"]
    assert style.prefix == "Base prefix." and style.suffix == "Child suffix."
    assert style.negative == ["no text", "no watermark"]
    assert style.image == {"aspect_ratio": "1:1", "image_size": "1K"}
    assert [r.name for r in style.references] == ["ref-base.png", "ref-child.png"]
    assert style.vars == {"mood": "calm", "light": "hard"}
    assert [p.spec for p in style.promises] == [{"warmer": True}, {"aspect_ratio": "1:1"}]
    assert style.wrap("a cup") == "Base prefix. A cup. Child suffix, without text or watermark."


def test_extends_cycle_is_named_with_file_and_line(tmp_path: Path) -> None:
    a = write(tmp_path, "templates/styles/a.yaml", "extends: b\n")
    write(tmp_path, "templates/styles/b.yaml", "version: '1'\nextends: c\n")
    write(tmp_path, "templates/styles/c.yaml", "extends: a\n")
    with pytest.raises(SuiteError) as info:
        _library(tmp_path).resolve("a")
    assert "cycle: a -> b -> c -> a" in str(info.value)
    assert info.value.file is not None and info.value.line is not None
    assert Path(info.value.file).name == "c.yaml" and info.value.line == 1
    with pytest.raises(SuiteError, match="cycle"):
        write(tmp_path, "templates/styles/self.yaml", "extends: self\n")
        StyleLibrary([a.parent]).resolve("self")


def test_extends_unknown_and_bad_preset_keys(tmp_path: Path) -> None:
    write(tmp_path, "templates/styles/kid.yaml", "version: '1'\nextends: studio-whit\n")
    write(tmp_path, "templates/styles/studio-white.yaml", "prefix: x\nsufix: y\n")
    lib = _library(tmp_path)
    with pytest.raises(SuiteError) as info:
        lib.resolve("kid")
    assert "unknown style 'studio-whit'" in str(info.value) and "Did you mean 'studio-white'?" in str(
        info.value
    )
    assert info.value.line == 2
    with pytest.raises(SuiteError) as info:
        lib.resolve("studio-white")
    assert "unknown key 'sufix'" in str(info.value) and info.value.line == 2


def test_preset_name_must_match_file(tmp_path: Path) -> None:
    write(tmp_path, "templates/styles/one.yaml", "name: two\n")
    with pytest.raises(SuiteError, match=r"named 'two' but its file is 'one\.yaml'"):
        _library(tmp_path).resolve("one")


def test_shipped_presets_resolve_and_one_extends() -> None:
    lib = StyleLibrary([PROJECT_TEMPLATES / "styles"])
    assert len(lib.names()) >= 4
    styles = [lib.resolve(n) for n in lib.names()]
    assert any(s.inherits for s in styles)
    studio = lib.resolve("studio-white")
    assert studio.image["aspect_ratio"] == "1:1"
    assert {"background": {"color": "white", "min_fraction": 0.4}} in [p.spec for p in studio.promises]


def test_shipped_preset_promises_pass_the_scorers() -> None:
    from harness import scoring

    lib = StyleLibrary([PROJECT_TEMPLATES / "styles"])
    for name in lib.names():
        for promise in lib.resolve(name).promises:
            scoring.validate_expect(promise.spec)


def test_styles_cli_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    assert main(["styles", "list"]) == 0
    out = capsys.readouterr().out
    assert "studio-white" in out and "v1.2" in out and "extends photo-base" in out
    assert main(["styles", "show", "flat-vector-icon"]) == 0
    out = capsys.readouterr().out
    assert "inherits from: flat-vector-base" in out and "aspect_ratio" in out
    assert main(["styles", "show", "studio-whte"]) == 2
    assert "Did you mean 'studio-white'?" in capsys.readouterr().err


def test_bad_preset_reached_from_a_suite_is_reported_at_the_preset(tmp_path: Path) -> None:
    preset = write(tmp_path, "templates/styles/broken.yaml", "prefix: ok\nimage: {aspekt: '1:1'}\n")
    suite = write(tmp_path, "s.yaml", "suite: d\ncases: [{id: a, prompt: cup, style: broken}]\n")
    with pytest.raises(ValidationFailed) as info:
        expand(load_suite(suite))
    err = info.value.errors[0]
    assert err.file == str(preset) and err.line == line_of(preset, "aspekt")
    assert isinstance(err, HarnessError)


def test_a_wheel_carries_the_whole_template_library() -> None:
    """pyproject's data-files must match every file under templates/, or `pip install` loses presets."""
    import tomllib

    root = PROJECT_TEMPLATES.parent
    data_files = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {p for globs in data_files.values() for g in globs for p in root.glob(g)}
    library = {p for p in PROJECT_TEMPLATES.rglob("*") if p.is_file()}
    assert library and library == shipped
    for target, globs in data_files.items():  # where each glob lands is where _library() looks
        assert all(target == f"share/prompt-harness/{Path(g).parent}" for g in globs)
