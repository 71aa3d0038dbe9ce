"""The web page of `shendu serve` in a real browser: Debian's chromium driven by Playwright
(never `playwright install`). One server serves a digit classifier, a text classifier with
attention and a detector for the whole module, and one browser drives it.

``SHENDU_SCREENSHOTS=1`` also saves the pictures of docs/img/serve-*.png (normal runs do not
rewrite those tracked files).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.serve.conftest import live_server, png_bytes

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = os.environ.get("SHENDU_SCREENSHOTS") == "1"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
WAIT_MS = 30_000  # two shared CPU cores: a prediction may wait behind other jobs
REVIEW = ("This movie was wonderful: a great story, brilliant acting and a beautiful ending. "
          "I loved every minute of it and would watch it again.")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="the page tests need Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def server(mnist_run, attention_run, det_run):
    with live_server([mnist_run, attention_run, det_run]) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, model: str | None = None):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.errors = []  # uncaught JavaScript errors: every test ends with none
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(url + (f"/?model={model}" if model else "/"))
    return context, page


@pytest.fixture
def page_of(browser, server):
    """``page_of(model)``: a fresh page (own storage) on the module's server, that model picked."""
    opened = []

    def make(model: str | None = None) -> Page:
        context, page = open_page(browser, server, model)
        opened.append((context, page))
        if model is not None:
            expect(page.locator("#model")).to_have_value(model)
        return page

    yield make
    for context, page in opened:
        context.close()
        assert page.errors == []


def draw_stroke(page: Page, points: list[tuple[float, float]], pause: float = 0.0, while_down=None) -> None:
    """Draw through ``points`` (canvas pixels) with the mouse; ``while_down(page)`` runs before
    the button is released."""
    box = page.locator("#canvas").bounding_box()
    scale = box["width"] / 280
    page.mouse.move(box["x"] + points[0][0] * scale, box["y"] + points[0][1] * scale)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=4)
        time.sleep(pause)
    if while_down is not None:
        while_down(page)
    page.mouse.up()


def canvas_max(page: Page, selector: str = "#canvas") -> int:
    return page.locator(selector).evaluate(
        "(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let m = 0; for (let i = 0; i < d.length; i += 4) m = Math.max(m, d[i], d[i + 1], d[i + 2]); return m; }")


def response_json(page: Page) -> dict:
    return json.loads(page.locator("#raw").text_content())


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / name), full_page=True)


def test_the_picker_lists_every_model_with_its_task_and_metric(page_of, mnist_run, attention_run, det_run):
    page = page_of()
    options = page.locator("#model option")
    expect(options).to_have_count(3)
    texts = options.all_text_contents()
    assert [o.get_attribute("value") for o in options.all()] == [mnist_run.name, attention_run.name, det_run.name]
    assert "image-classification · accuracy" in texts[0] and "text-classification · accuracy" in texts[1]
    assert "object-detection · mAP@0.5" in texts[2]
    expect(page.locator("#model-info")).to_contain_text("mnist-cnn")
    expect(page.locator("#canvas")).to_be_visible()
    expect(page.locator("#token-box")).to_be_hidden()
    page.select_option("#model", attention_run.name)
    expect(page.locator("#text")).to_be_visible()
    expect(page.locator("#canvas")).to_be_hidden()
    expect(page.locator("#model-info")).to_contain_text("imdb-lstm-attention")


def test_drawing_a_digit_shows_live_probability_bars_and_clear_resets(page_of, mnist_run):
    page = page_of(mnist_run.name)
    requests = []
    page.on("request", lambda r: requests.append(r) if r.url.endswith("/predict") else None)
    # a vertical stroke, a "1": the bars appear while the button is still down (live), and again after
    stroke = [(140, 50 + 20 * i) for i in range(10)]
    draw_stroke(page, stroke, pause=0.05,
                while_down=lambda p: expect(p.locator("#bars .bar")).to_have_count(10))
    expect(page.locator("#answer")).to_have_text(re.compile(r"^\d$"))
    page.wait_for_timeout(400)  # the prediction after the last stroke has landed
    body = json.loads(requests[0].post_data)
    assert body["image"].startswith("data:image/png;base64,") and body["top_k"] == 10
    bars = page.locator("#bars .bar")
    probabilities = {b.get_attribute("data-label"): float(b.get_attribute("data-probability")) for b in bars.all()}
    assert list(probabilities) == [str(d) for d in range(10)]
    assert sum(probabilities.values()) == pytest.approx(1, abs=0.01)
    best = page.locator("#answer").text_content()
    assert probabilities[best] == max(probabilities.values())
    expect(page.locator("#bars .bar.best")).to_have_attribute("data-label", best)
    assert response_json(page)["predictions"][0]["top"][0]["label"] == best
    expect(page.locator("#timing")).to_contain_text("server")
    screenshot(page, "serve-digit.png")

    page.click("#clear")
    expect(page.locator("#bars .bar")).to_have_count(0)
    expect(page.locator("#answer")).to_have_count(0)
    assert canvas_max(page) == 0  # black again
    page.wait_for_timeout(300)
    expect(page.locator("#bars .bar")).to_have_count(0)  # no late answer brings the bars back


def test_typing_a_review_shows_the_sentiment_and_highlights_the_attended_words(page_of, attention_run):
    page = page_of(attention_run.name)
    bodies = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data)) if r.url.endswith("/predict") else None)
    page.locator("#text").press_sequentially(REVIEW, delay=15)
    expect(page.locator("#answer")).to_have_text(re.compile("^(positive|negative)$"))
    expect(page.locator("#bars .bar")).to_have_count(2)
    marked = page.locator("#highlight span.attended")
    expect(marked.first).to_be_visible()
    page.wait_for_timeout(400)
    assert 1 <= len(bodies) <= 4, "typing is debounced: not one request per key"
    assert bodies[-1] == {"text": REVIEW, "explain": 50}
    # every highlighted word is one of the tokens the service says were attended, shaded by weight
    prediction = response_json(page)["predictions"][0]
    weights: dict[str, float] = {}
    for a in prediction["attention"]:
        weights[a["token"].lower()] = max(weights.get(a["token"].lower(), 0), a["weight"])
    top = max(weights.values())
    spans = [(s.text_content(), float(s.get_attribute("data-weight")), s.get_attribute("style")) for s in marked.all()]
    assert spans and all(word.lower() in weights and weight == weights[word.lower()] for word, weight, _ in spans)
    for _, weight, style in spans:  # (an opaque colour may be written as rgb())
        shade = re.search(r"background-color: rgba?\(255, 166, 0(?:, ([\d.]+))?\)", style)
        assert shade, style
        assert float(shade.group(1) or 1) == pytest.approx(weight / top, abs=0.005)  # alpha kept in 1/255ths
    assert any(weight == top for _, weight, _ in spans)  # the most attended word is in the text, opaque
    assert page.locator("#highlight").text_content() == REVIEW  # the text itself, unchanged
    label = prediction.get("sentiment", prediction.get("label"))
    assert page.locator("#answer").text_content() == label
    screenshot(page, "serve-review.png")

    page.fill("#text", "")
    expect(page.locator("#answer")).to_have_count(0)
    expect(page.locator("#highlight")).to_be_hidden()


@pytest.fixture(scope="module")
def digits_page_png(tmp_path_factory) -> Path:
    """A held-out canvas of 2-4 MNIST digits, dark ink on white at 2x (as a photo of a page)."""
    from shendu.data.detection import canvas_bundle

    canvas = canvas_bundle(train=1, val=1, test=1).test.images[0]
    path = tmp_path_factory.mktemp("page") / "digits.png"
    path.write_bytes(png_bytes(Image.fromarray(255 - canvas).resize((192, 192))))
    return path


def set_threshold(page: Page, value: float) -> None:
    page.locator("#threshold").evaluate(
        "(e, v) => { e.value = String(v); e.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def test_an_uploaded_image_gets_the_detectors_boxes_drawn(page_of, det_run, digits_page_png):
    page = page_of(det_run.name)
    expect(page.locator("#threshold")).to_have_value("0.5")
    set_threshold(page, 0.05)  # the tiny test detector scores low: show its weak boxes too
    expect(page.locator("#threshold-value")).to_have_text("0.05")
    with page.expect_request(lambda r: r.url.endswith("/predict")) as sent:
        page.set_input_files("#upload", str(digits_page_png))
    body = json.loads(sent.value.post_data)
    assert body["score_threshold"] == 0.05 and body["image"].startswith("data:image/png;base64,")
    expect(page.locator("#detections li.detection").first).to_be_visible()
    detections = response_json(page)["predictions"][0]["detections"]
    items = page.locator("#detections li.detection")
    assert detections and items.count() == len(detections)
    assert page.locator("body").get_attribute("data-boxes") == str(len(detections))
    assert all(float(i.get_attribute("data-score")) >= 0.05 for i in items.all())
    assert [i.get_attribute("data-label") for i in items.all()] == [d["label"] for d in detections]
    expect(page.locator("#answer")).to_have_text(f"{len(detections)} boxes" if len(detections) != 1 else "1 box")
    # the picture (grey) is drawn at 420 px with the boxes over it, in colour
    size = page.locator("#boxes").evaluate("(c) => [c.width, c.height]")
    assert size == [420, 420]
    coloured = page.locator("#boxes").evaluate(
        "(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 80) n++;"
        " return n; }")
    assert coloured > 100
    if SCREENSHOTS:  # the picture in the docs: the few best boxes, not all the weak ones
        scores = sorted((d["score"] for d in detections), reverse=True)
        set_threshold(page, scores[min(3, len(scores) - 1)] - 0.0001)
        page.wait_for_timeout(1500)
        screenshot(page, "serve-detect.png")

    set_threshold(page, 1.0)
    expect(page.locator("#box-count")).to_contain_text("no boxes at score ≥ 1.00")
    expect(page.locator("#detections li")).to_have_count(0)


def test_errors_show_the_services_message_and_the_recent_panel_lists_requests(page_of, mnist_run, tmp_path):
    page = page_of(mnist_run.name)
    draw_stroke(page, [(100, 60), (180, 60), (120, 220)])  # a "7"
    expect(page.locator("#bars .bar")).to_have_count(10)
    (tmp_path / "notes.png").write_text("not an image at all")
    page.set_input_files("#upload", str(tmp_path / "notes.png"))
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("415")
    expect(error).to_contain_text("is not an image Pillow can read")
    rows = page.locator("#recent tr")
    expect(rows.first.locator(".r-status")).to_have_text("415")
    expect(rows.first).to_have_class("failed")
    # newest first: the failed upload, the drawing's predictions, then the models list
    statuses = rows.locator(".r-status").all_text_contents()
    assert 3 <= len(statuses) <= 10 and statuses[0] == "415" and set(statuses[1:]) == {"200"}
    models = rows.locator(".r-model").all_text_contents()
    assert models[0] == mnist_run.name and models[-1] == "(models list)"
    for row in rows.all()[1:-1]:  # answered predictions: both latencies, and the batch size
        assert re.fullmatch(r"\d+(\.\d)? ms", row.locator(".r-client").text_content())
        assert re.fullmatch(r"\d+(\.\d)? ms", row.locator(".r-server").text_content())
        assert row.locator(".r-batch").text_content() == "1"
    # a good input clears the error
    page.click("#clear")
    expect(error).to_be_hidden()
    draw_stroke(page, [(140, 50), (140, 230)])
    expect(page.locator("#bars .bar")).to_have_count(10)
    expect(error).to_be_hidden()
    # ten rows at most
    for _ in range(4):
        draw_stroke(page, [(120, 60), (160, 220)], pause=0.2)
    page.wait_for_timeout(500)
    assert rows.count() == 10


def test_a_service_with_a_token_asks_for_it_and_remembers_it(browser, mnist_run):
    with live_server([mnist_run], token="s3cret") as url:
        context, page = open_page(browser, url)
        try:
            expect(page.locator("#token-box")).to_be_visible()
            expect(page.locator("#error")).to_contain_text("401")
            expect(page.locator("#error")).to_contain_text("bearer token")
            expect(page.locator("#recent tr .r-status")).to_have_text(["401"])
            page.fill("#token", "wrong")
            page.click("#token-save")
            expect(page.locator("#token-why")).to_have_text("The service refused this token.")
            expect(page.locator("#token-box")).to_be_visible()
            page.fill("#token", "s3cret")
            page.click("#token-save")
            expect(page.locator("#token-box")).to_be_hidden()
            expect(page.locator("#model")).to_have_value(mnist_run.name)
            expect(page.locator("#error")).to_be_hidden()
            with page.expect_request(lambda r: r.url.endswith("/predict")) as sent:
                draw_stroke(page, [(140, 50), (140, 230)])
            assert sent.value.headers["authorization"] == "Bearer s3cret"
            expect(page.locator("#bars .bar")).to_have_count(10)
            # remembered: a reload does not ask again
            assert page.evaluate("localStorage.getItem('shendu.token')") == "s3cret"
            page.reload()
            expect(page.locator("#model")).to_have_value(mnist_run.name)
            expect(page.locator("#token-box")).to_be_hidden()
            assert page.errors == []
        finally:
            context.close()
