/* The case's process map (progressive enhancement). The case page always lists the steps in
   order; when JavaScript runs and bpmn-js (the NavigatedViewer, static/vendor/bpmn-js) is
   there, this draws the diagram of the case's own process version, marks the completed steps
   and the flows taken, highlights the current steps, dims the steps not reached, and shows a
   selected step's facts (who, when, how long, due date and SLA clock) beside it. */
(function () {
  "use strict";

  function getText(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(url + ": " + response.status); }
      return response.text();
    });
  }

  function button(label, text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button map-zoom";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function showStep(panel, hint, id, step) {
    panel.textContent = "";
    if (!step) { panel.textContent = hint; return; }
    var title = document.createElement("h3");
    title.textContent = step.name + " – " + step.stateLabel;
    panel.appendChild(title);
    if (step.clock) {
      var clock = document.createElement("p");
      clock.className = "sla" + (step.overdue ? " overdue" : "");
      var strong = document.createElement("strong");
      strong.textContent = step.clock;
      clock.appendChild(strong);
      panel.appendChild(clock);
    }
    if (step.facts.length) {
      var list = document.createElement("dl");
      list.className = "step-facts";
      step.facts.forEach(function (fact) {
        var row = document.createElement("div");
        var dt = document.createElement("dt");
        var dd = document.createElement("dd");
        dt.textContent = fact[0];
        dd.textContent = fact[1];
        row.appendChild(dt);
        row.appendChild(dd);
        list.appendChild(row);
      });
      panel.appendChild(list);
    }
    panel.setAttribute("data-element", id);
  }

  function mark(viewer, states) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var current = [];
    Object.keys(states.elements).forEach(function (id) {
      var step = states.elements[id];
      if (!registry.get(id)) { return; }
      canvas.addMarker(id, "map-" + step.state.replace("_", "-"));
      if (registry.get(id).type === "bpmn:SubProcess") { canvas.addMarker(id, "map-container"); }
      if (step.overdue) { canvas.addMarker(id, "map-overdue"); }
      if (step.state === "current") { current.push(id); }
    });
    states.flows.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "map-taken"); }
    });
    return current;
  }

  function showPlaneOf(viewer, ids) {
    // A current step inside a collapsed subprocess is drawn on the subprocess's own plane:
    // open the deepest plane that holds one.
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var deepest = null;
    ids.forEach(function (id) {
      var element = registry.get(id);
      var root = element && canvas.findRoot(element);
      if (root && root !== canvas.getRootElement()) { deepest = root; }
    });
    if (deepest) { canvas.setRootElement(deepest); }
    canvas.zoom("fit-viewport", "auto");
  }

  function addShowButtons(figure, viewer, states, panel, hint) {
    // Keyboard and screen-reader users pick a step in the list: the map shows it and its facts.
    var label = figure.getAttribute("data-show");
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    document.querySelectorAll(".process-steps > li[id^='steg-']").forEach(function (item) {
      var id = item.id.slice("steg-".length);
      var element = registry.get(id);
      var step = states.elements[id];
      if (!element || !step) { return; }
      var show = button(label + ": " + step.name, label, function () {
        var root = canvas.findRoot(element);
        if (root && root !== canvas.getRootElement()) { canvas.setRootElement(root); }
        canvas.scrollToElement(element);
        showStep(panel, hint, id, step);
        panel.focus();
      });
      show.className = "link-button map-show";
      item.appendChild(document.createTextNode(" "));
      item.appendChild(show);
    });
  }

  function setUp(figure) {
    if (typeof window.BpmnJS !== "function" || typeof window.fetch !== "function") { return; }
    var hint = figure.getAttribute("data-hint");
    var canvasBox = document.createElement("div");
    canvasBox.className = "process-map-canvas";
    canvasBox.setAttribute("role", "group");
    canvasBox.setAttribute("aria-label", figure.getAttribute("data-label"));
    var panel = document.createElement("div");
    panel.className = "process-map-detail";
    panel.setAttribute("aria-live", "polite");
    panel.setAttribute("tabindex", "-1");
    panel.textContent = hint;
    var tools = document.createElement("div");
    tools.className = "process-map-tools";
    figure.appendChild(tools);
    figure.appendChild(canvasBox);
    figure.appendChild(panel);
    figure.hidden = false;
    var words = { "Open {element}": figure.getAttribute("data-open") };
    var translate = function (template, replacements) {
      return (words[template] || template).replace(/{([^}]+)}/g, function (_, key) {
        return (replacements || {})[key] || "{" + key + "}";
      });
    };
    var viewer = new window.BpmnJS({ container: canvasBox,
                                     additionalModules: [{ translate: ["value", translate] }] });
    var canvas = viewer.get("canvas");
    tools.appendChild(button(figure.getAttribute("data-zoom-in"), "+", function () {
      canvas.zoom(canvas.zoom() * 1.25);
    }));
    tools.appendChild(button(figure.getAttribute("data-zoom-out"), "−", function () {
      canvas.zoom(canvas.zoom() / 1.25);
    }));
    tools.appendChild(button(figure.getAttribute("data-fit"), figure.getAttribute("data-fit"),
      function () { canvas.zoom("fit-viewport", "auto"); }));
    Promise.all([getText(figure.getAttribute("data-diagram")),
                 getText(figure.getAttribute("data-states"))])
      .then(function (texts) {
        var states = JSON.parse(texts[1]);
        return viewer.importXML(texts[0]).then(function () {
          showPlaneOf(viewer, mark(viewer, states));
          viewer.get("eventBus").on("element.click", function (event) {
            var id = event.element.businessObject && event.element.businessObject.id;
            showStep(panel, hint, id, states.elements[id]);
          });
          addShowButtons(figure, viewer, states, panel, hint);
          figure.setAttribute("data-ready", "true");
        });
      })
      .catch(function () {
        figure.hidden = true;  // the list below says the same
      });
  }

  document.querySelectorAll(".process-map-figure").forEach(setUp);
}());
