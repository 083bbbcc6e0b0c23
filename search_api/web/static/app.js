// Small comforts only; every page works without script.
document.addEventListener("keydown", (event) => {
  const box = document.getElementById("q");
  if (event.key === "/" && box && document.activeElement !== box && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
    event.preventDefault();
    box.focus();
  }
});
const mode = document.getElementById("mode");
if (mode) {
  mode.addEventListener("change", () => {
    if (document.getElementById("q").value.trim()) mode.form.submit();
  });
}
