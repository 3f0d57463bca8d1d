// Progressive enhancement: the time zone picker applies itself without the "Apply" button.
document.documentElement.classList.add("talk-js");
document.querySelectorAll("[data-talk-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
