"""Constructs SpiffWorkflow 3.2.0 cannot run as BPMN means them, and files written for other
engines (Camunda): found in the BPMN text, so the catalogue check refuses them with a clear
message instead of letting a case stop later."""

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}


def unsupported_constructs(filename: str, text: str) -> list[str]:
    """Return a Swedish problem per unsupported construct in one BPMN file."""
    root = etree.fromstring(text.encode())
    problems = []
    for process in root.iter(f"{{{BPMN}}}process"):
        where = f"{filename}: {process.get('id')}"
        for check in (_interrupting_event_subprocesses, _camunda_forms, _camunda_services,
                      _foreign_expressions, _foreign_scripts):
            problems += [f"{where}/{element}: {message}" for element, message in check(process)]
    return problems


def _interrupting_event_subprocesses(process):
    # Verified in 3.2.0: an interrupting event subprocess runs beside the main flow instead of
    # cancelling it (even with a terminate end event), so the case would go on twice.
    for sub in process.xpath(".//bpmn:subProcess[@triggeredByEvent='true']", namespaces=NS):
        for start in sub.xpath("./bpmn:startEvent", namespaces=NS):
            if start.get("isInterrupting", "true") != "false":
                yield sub.get("id"), (
                    "en avbrytande händelsedelprocess stöds inte (SpiffWorkflow 3.2.0 avbryter "
                    "inte huvudflödet); lägg arbetet i en delprocess med en avbrytande "
                    "gränshändelse, eller gör händelsedelprocessen icke-avbrytande")


def _camunda_forms(process):
    for node in process.xpath(".//*[@camunda:formKey or @camunda:formRef]", namespaces=NS):
        yield node.get("id"), (
            "Camunda-formulär (camunda:formKey/formRef) stöds inte; ange formuläret med "
            "spiffworkflow:property formJsonSchemaFilename och lägg JSON Schema-filen i forms/")
    for node in process.xpath(".//bpmn:userTask[.//camunda:formData]", namespaces=NS):
        yield node.get("id"), (
            "Camunda-formulärfält (camunda:formData) stöds inte; beskriv fälten i en "
            "JSON Schema-fil i forms/")


def _camunda_services(process):
    attrs = ("class", "expression", "delegateExpression", "type", "topic")
    for node in process.xpath(".//bpmn:serviceTask | .//bpmn:sendTask | .//bpmn:businessRuleTask",
                              namespaces=NS):
        used = [a for a in attrs if node.get(f"{{{CAMUNDA}}}{a}") is not None]
        if used:
            yield node.get("id"), (
                f"Camunda-implementationen (camunda:{used[0]}) stöds inte; ange en registrerad "
                "operation med spiffworkflow:serviceTaskOperator")


def _foreign_expressions(process):
    paths = (".//bpmn:conditionExpression | .//bpmn:timeDuration | .//bpmn:timeDate"
             " | .//bpmn:timeCycle | .//bpmn:loopCondition | .//bpmn:completionCondition")
    for node in process.xpath(paths, namespaces=NS):
        text = (node.text or "").strip()
        if text.startswith(("${", "#{", "=")):
            owner = node.getparent()
            while owner.get("id") is None and owner.getparent() is not None:
                owner = owner.getparent()
            yield owner.get("id"), (
                f"uttrycket '{text}' är JUEL/FEEL (Camunda); skriv det som ett Python-uttryck "
                "på ärendets data, t.ex. belopp > 100000")


def _foreign_scripts(process):
    for node in process.xpath(".//bpmn:scriptTask[@scriptFormat]", namespaces=NS):
        language = node.get("scriptFormat").strip().lower()
        if language not in ("python", "python3", "text/x-python"):
            yield node.get("id"), (
                f"skriptspråket '{node.get('scriptFormat')}' stöds inte; skriv skriptet i Python")
