"""How the app looks, made to pass WCAG 2 AA (docs/accessibility.md): Gradio's Soft theme with text and fills dark
enough for a 4.5:1 contrast, a focus ring that keyboard users can see, and a small script that mends the ARIA of
Gradio's own widgets, which the app cannot reach from Python.

`tests/test_accessibility.py` audits the result with axe-core in both languages."""

from __future__ import annotations

import gradio as gr

# Soft's indigo-500 fills and labels reach 4.46:1 against white (AA needs 4.5:1) and its grey help text (neutral-400)
# 2.5:1: one or two steps darker pass, in the same hues.
THEME = gr.themes.Soft().set(
    body_text_color_subdued="*neutral_600",
    block_info_text_color="*neutral_600",
    block_label_text_color="*primary_700",
    block_title_text_color="*primary_700",
    color_accent="*primary_700",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_600",
    button_primary_background_fill_dark="*primary_700",
    checkbox_label_background_fill_selected="*primary_700",
    checkbox_label_background_fill_selected_dark="*primary_700",
    slider_color="*primary_700",
)

# The focus ring: every control the keyboard reaches shows where it is (WCAG 2.4.7), also those whose Gradio style
# removes the browser's outline.
CSS = """
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
footer, footer a, footer button { color: var(--neutral-700) !important; }
/* Diagnose scrolls to the results, which then fill in above the probabilities: the browser's scroll anchoring would
   keep the probabilities still and push the first results off the top of a phone's screen */
html, body { overflow-anchor: none; }
@media (max-width: 640px) { #app-heading h1 { font-size: 1.45rem; line-height: 1.25; } }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
"""

# Gradio's widgets that axe-core flags and the app cannot change from Python, mended as they appear:
# - an image shown for viewing sits in a <button> without a name: it takes the image's own alternative text;
# - an empty output is a <div aria-label="Empty value"> without a role, where aria-label is not allowed: it becomes a
#   role="img" with that name;
# - the upload area's aria-label lacks its visible words ("Drop File Here - or - Click to Upload"): the visible
#   words become its name;
# - a native plot given no rows (a photo the case lacks, field importance not asked for yet) draws an empty mark
#   container with a graphics role and no name: it is presentation while empty.
MEND_ARIA = """
<script>
(() => {
  const mend = (root) => {
    root.querySelectorAll('.image-container button:not([aria-label])').forEach((button) => {
      const img = button.querySelector('img');
      if (img && button.textContent.trim() === '') button.setAttribute('aria-label', img.alt || 'image');
    });
    root.querySelectorAll('div.empty[aria-label]:not([role])').forEach((box) => box.setAttribute('role', 'img'));
    root.querySelectorAll('button.upload-container[aria-label]').forEach((button) => {
      const words = button.innerText.replace(/\\s+/g, ' ').trim();
      if (words && button.getAttribute('aria-label') !== words) button.setAttribute('aria-label', words);
    });
    root.querySelectorAll('.vega-embed g.role-mark[role="graphics-symbol"]:empty')
      .forEach((marks) => marks.setAttribute('role', 'presentation'));
    root.querySelectorAll('.vega-embed g.role-mark[role="presentation"]:not(:empty)')
      .forEach((marks) => marks.setAttribute('role', 'graphics-symbol'));
  };
  let pending = false;  // one pass a frame, however many nodes Gradio adds
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; mend(document); });
  };
  new MutationObserver(schedule).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', () => mend(document));
})();
</script>
"""
