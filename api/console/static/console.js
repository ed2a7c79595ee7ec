// Light enhancement only: every page works without it.
// "Line N" next to a rule error puts the caret on that line of the YAML text.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.goto-line");
  if (!link) return;
  const area = document.getElementById("rule_yaml");
  const line = Number(link.dataset.line);
  if (!area || !line) return;
  event.preventDefault();
  const lines = area.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((total, text) => total + text.length + 1, 0);
  const end = start + (lines[line - 1] || "").length;
  area.focus();
  area.setSelectionRange(start, end);
  const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
  area.scrollTop = Math.max(0, (line - 3) * lineHeight);
});
// After a refused form, move focus to the summary so screen readers hear it first.
window.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary && !document.querySelector("[autofocus]")) summary.focus();
});
