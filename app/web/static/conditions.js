/* Conditional questions (progressive enhancement). The form's JSON Schema if/then rules come
   as JSON in <script class="form-conditions">: [{field, values, show}]. A question in `show`
   is hidden while none of its conditions holds. Without JavaScript every question shows;
   a question with an error message always shows. */
(function () {
  "use strict";
  function chosen(form, name) {
    var values = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (!input.checked) { return; }
        values.push(input.type === "checkbox" && input.value === "y" ? true : input.value);
      } else if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.selectedOptions, function (o) { values.push(o.value); });
      } else {
        values.push(input.value);
      }
    });
    return values;
  }
  function box(name) {
    var element = document.getElementById(name);
    return element ? (element.closest(".field") || element) : null;
  }
  function setUp(data) {
    var form = data.closest("form");
    var rules = JSON.parse(data.textContent);
    if (!form || !rules.length) { return; }
    function update() {
      var shown = {};
      rules.forEach(function (rule) {
        var values = chosen(form, rule.field);
        var asked = form.querySelector('[name="' + rule.field + '"]') !== null;
        var holds = !asked || rule.values.some(function (v) { return values.indexOf(v) !== -1; });
        rule.show.forEach(function (name) { shown[name] = shown[name] || holds; });
      });
      Object.keys(shown).forEach(function (name) {
        var element = box(name);
        if (element && !element.classList.contains("field-error")) {
          element.hidden = !shown[name];
        }
      });
    }
    form.addEventListener("change", update);
    update();
  }
  document.querySelectorAll("script.form-conditions").forEach(setUp);
}());
