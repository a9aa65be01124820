"""Turn question data into HTML and text: the live widgets' pieces and the static copy.

Bank texts are plain text with `backticks` for code; everything is escaped
before it becomes HTML, so a `<` in a question can never break the page.
"""
import html
import re

_CODE_SPAN = re.compile(r"`([^`]+)`")

def execution_count():
    """Return the number of the notebook cell running now, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return getattr(get_ipython(), "execution_count", None)


class DisplayedOnce:
    """Mixin: show an object's `_repr_mimebundle_()` and the accessibility script once per cell run.

    show_quiz, show_test and show_review display the object and return it;
    when that call is a cell's last line, IPython would display the returned
    object a second time.
    """

    _shown_in = None

    def _ipython_display_(self):
        from IPython.display import display

        count = execution_count()
        if count is not None and count == self._shown_in:
            return
        self._shown_in = count
        display(self._repr_mimebundle_(), raw=True)
        display({"application/javascript": A11Y_JS}, raw=True)


SYMBOLS = {"right": "✓", "partly": "◐", "wrong": "✗", "invalid": "⚠", "empty": "•",
           "noted": "✎", "revealed": "ℹ"}


def text_html(text):
    """Return escaped HTML for a bank text: `code` spans, paragraphs on blank lines."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for p in paragraphs:
        p = _CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", html.escape(p, quote=False))
        out.append("<p>" + p.replace("\n", "<br>") + "</p>")
    return "".join(out)


def plain(text):
    """Return a bank text as plain text (backticks dropped), for text/plain output."""
    return _CODE_SPAN.sub(lambda m: m.group(1), text.strip())


def code_html(code):
    return f'<pre class="quiz-code"><code>{html.escape(code.rstrip())}</code></pre>'


def matrix_html(m):
    """Return an accessible HTML table for a confusion matrix (rows: actual class)."""
    return (
        '<table class="quiz-matrix"><caption>Confusion matrix (rows: actual class, '
        'columns: predicted class)</caption>'
        '<tr><td></td><th scope="col">predicted positive</th>'
        '<th scope="col">predicted negative</th></tr>'
        f'<tr><th scope="row">actual positive</th><td>TP = {m["tp"]}</td>'
        f'<td>FN = {m["fn"]}</td></tr>'
        f'<tr><th scope="row">actual negative</th><td>FP = {m["fp"]}</td>'
        f'<td>TN = {m["tn"]}</td></tr></table>')


def matrix_text(m):
    return (f"Confusion matrix: TP = {m['tp']}, FN = {m['fn']} (actual positives); "
            f"FP = {m['fp']}, TN = {m['tn']} (actual negatives)")


KIND_WORDS = {"single": "choose one answer", "predict": "choose what it prints",
              "multiple": "select all that apply", "numeric": "type a number",
              "reflection": "write a short answer (not scored)"}


def heading(question, number, total):
    """Return e.g. 'Question 2 of 5 (medium, metrics): choose one answer'."""
    return (f"Question {number} of {total} ({question.difficulty}, {question.topic}): "
            f"{KIND_WORDS[question.type]}")


def prompt_html(question, number, total, prompt_id):
    """Return the HTML above a question's inputs: heading, prompt, code, matrix.

    Args:
        prompt_id: a page-unique id; the options group is labelled by it.
    """
    parts = [f'<div class="quiz-heading">{html.escape(heading(question, number, total))}</div>',
             f'<div class="quiz-prompt-text" id="{prompt_id}">{text_html(question.prompt)}</div>']
    if question.code:
        parts.append(code_html(question.code))
    if question.matrix:
        parts.append(matrix_html(question.matrix))
    return "".join(parts)


def feedback_html(result, saved=False):
    """Return the feedback area's HTML for a grading Result (words first, colour second)."""
    note = ('<p class="quiz-saved">Your saved answer from an earlier session.</p>'
            if saved else "")
    # The symbol is decoration (hidden from screen readers); the words say it.
    symbol = f'<span aria-hidden="true">{SYMBOLS[result.status]} </span>'
    body = text_html(result.message).replace("<p>", "<p>" + symbol, 1)
    return f'{note}<div class="quiz-verdict quiz-{result.status}">{body}</div>'



def static_html(title, items):
    """Return the quiz as static HTML: questions and options, never an answer.

    Shown where no kernel runs the widgets (e.g. the notebook exported to HTML).

    Args:
        title: the bank title.
        items: list of (question, [option texts in display order]).
    """
    out = [f'<div class="quiz-static"><p><strong>{html.escape(title)}</strong></p>',
           "<p><em>This is a static copy of the quiz. Open the notebook in JupyterLab "
           "and run it to answer, get feedback and save your progress.</em></p><ol>"]
    for q, options in items:
        out.append(f'<li class="quiz-static-question"><p><em>{html.escape(KIND_WORDS[q.type])}'
                   f' ({q.difficulty})</em></p>{text_html(q.prompt)}')
        if q.code:
            out.append(code_html(q.code))
        if q.matrix:
            out.append(matrix_html(q.matrix))
        if options:
            out.append("<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in options)
                       + "</ul>")
        if q.type == "numeric":
            out.append(f"<p>Answer format: {html.escape(q.format)}</p>")
        out.append("</li>")
    out.append("</ol></div>")
    return "".join(out)


def static_text(title, items):
    """Return the quiz as plain text (questions and options only); see static_html."""
    lines = [f"{title} (static copy: run the notebook in JupyterLab to answer)"]
    for n, (q, options) in enumerate(items, 1):
        lines.append(f"{n}. {plain(q.prompt)}")
        if q.code:
            lines.extend("     " + line for line in q.code.rstrip().splitlines())
        if q.matrix:
            lines.append("   " + matrix_text(q.matrix))
        lines.extend(f"   - {t}" for t in options)
        if q.type == "numeric":
            lines.append(f"   Answer format: {q.format}")
    return "\n".join(lines)


# Why these rules: ipywidgets 8 gives radio labels a fixed height with the
# input floated after the text, checkbox labels `nowrap` + ellipsis, and HTML
# widgets a 28px line height, so a long option would overlap, wrap under its
# button or be cut off, and a prompt with code would be spaced out.
STYLE = """<style>
.quiz-question { border-left: 3px solid var(--jp-border-color1, #ccc);
  padding: 4px 0 8px 10px; margin: 10px 0 14px 0; }
.quiz .widget-html-content { line-height: 1.5; }
.quiz-question .quiz-heading { font-weight: 600; }
.quiz-question .quiz-option label { height: auto !important; line-height: 1.4 !important;
  white-space: normal !important; overflow: visible !important; padding: 2px 0; }
.quiz-question .quiz-option .widget-radio-box label { display: flex; flex-direction: row-reverse;
  justify-content: flex-end; align-items: flex-start; }
.quiz-question .quiz-option .widget-radio-box input { float: none; flex: none; height: auto;
  margin-top: 0.25em; }
.quiz-question .quiz-option .widget-checkbox { width: auto !important; height: auto !important; }
.quiz-question .quiz-option .widget-label-basic { display: flex; align-items: flex-start; }
.quiz-question .quiz-option .widget-label-basic input { flex: none; margin-top: 0.25em; }
.quiz-question .quiz-option.widget-radio { width: auto; }
.quiz-question .quiz-option .widget-radio-box { margin-bottom: 0 !important; }
.quiz-question pre.quiz-code { background: var(--jp-layout-color2, #f5f5f5); padding: 6px;
  line-height: 1.3; }
.quiz-question table.quiz-matrix td, .quiz-question table.quiz-matrix th {
  border: 1px solid var(--jp-border-color2, #ddd); padding: 2px 8px; }
.quiz-verdict { border-left: 4px solid; padding-left: 8px; }
.quiz-right, .quiz-noted { border-color: var(--jp-success-color1, #1a7f37); }
.quiz-partly, .quiz-invalid, .quiz-empty { border-color: var(--jp-warn-color1, #b35900); }
.quiz-wrong { border-color: var(--jp-error-color1, #c62828); }
.quiz-revealed { border-color: var(--jp-info-color1, #0b61a4); }
.quiz-saved { font-style: italic; margin: 0; }
.quiz-hint .widget-html-content:not(:empty) { font-style: italic; }
.quiz-notice { color: var(--jp-warn-color1, #b35900); }
.quiz-results a { color: var(--jp-content-link-color, #0b61a4); text-decoration: underline; }
.quiz-results table.quiz-verdicts td, .quiz-results table.quiz-verdicts th {
  text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
.quiz-results table.quiz-verdicts td:nth-child(3) { white-space: nowrap; }
</style>"""

# Why a script: ipywidgets 8.1 renders radio buttons and checkboxes with no
# group role and no accessible name for the group. This gives each options
# container (class quiz-option) the role radiogroup/group, labels it by the
# question's prompt, and makes the feedback area a polite live region, so a
# screen reader announces "Right"/"Not right" after Check. Idempotent, and
# watches for widgets rendered later (a restored or re-run notebook).
A11Y_JS = """
(function () {
  if (window.__courseQuizA11y) { window.__courseQuizA11y(); return; }
  function label() {
    document.querySelectorAll('.quiz-question').forEach(function (q) {
      var prompt = q.querySelector('.quiz-prompt-text');
      q.querySelectorAll('.quiz-option:not([role])').forEach(function (group) {
        var radio = group.querySelector('input[type="radio"]');
        group.setAttribute('role', radio ? 'radiogroup' : 'group');
        if (prompt && prompt.id) { group.setAttribute('aria-labelledby', prompt.id); }
      });
      q.querySelectorAll('.quiz-feedback:not([aria-live])').forEach(function (el) {
        el.setAttribute('role', 'status');
        el.setAttribute('aria-live', 'polite');
      });
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; label(); });
  }).observe(document.body, {childList: true, subtree: true});
  window.__courseQuizA11y = label;
  label();
})();
"""
