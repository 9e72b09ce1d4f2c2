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
        for check in (_event_subprocesses, _unsupported_events, _camunda_forms,
                      _camunda_services, _foreign_expressions, _foreign_scripts):
            problems += [f"{where}/{element}: {message}" for element, message in check(process)]
    return problems


def _event_subprocesses(process):
    # Verified in 3.2.0, one reason per kind of start event:
    # - interrupting: it runs beside the main flow instead of cancelling it (even with a
    #   terminate end event), so the case would go on twice;
    # - started by a timer: it waits from the start, and the case cannot finish until the
    #   timer has fired;
    # - started by a message or signal: triggering it changes the process definition shared
    #   by every case on that server (later cases never finish) and a case reloaded by
    #   another worker fails ("No input task connected").
    for sub in process.xpath(".//bpmn:subProcess[@triggeredByEvent='true']", namespaces=NS):
        for start in sub.xpath("./bpmn:startEvent", namespaces=NS):
            if start.get("isInterrupting", "true") != "false":
                reason = "en avbrytande händelsedelprocess avbryter inte huvudflödet"
            elif start.xpath("./bpmn:timerEventDefinition", namespaces=NS):
                reason = ("en händelsedelprocess med starttimer hindrar ärendet från att "
                          "avslutas innan timern har löpt ut")
            else:
                reason = ("en händelsedelprocess som startas av en händelse ändrar den delade "
                          "processdefinitionen, så senare ärenden aldrig avslutas")
            yield sub.get("id"), (
                f"händelsedelprocesser stöds inte: i SpiffWorkflow 3.2.0 {reason}; lägg "
                "arbetet i en delprocess med en gränshändelse (meddelande, signal eller "
                "timer) i stället")


# Events SpiffWorkflow 3.2.0 parses but cannot run, or cannot parse at all (verified).
UNSUPPORTED_EVENTS = {
    "linkEventDefinition": (
        "länkhändelser stöds inte (SpiffWorkflow 3.2.0 hoppar aldrig till den fångande "
        "länken, ärendet står still); rita ett sekvensflöde i stället"),
    "conditionalEventDefinition": (
        "villkorshändelser stöds inte (SpiffWorkflow 3.2.0 prövar villkoret bara på "
        "händelsens egen kopia av datat, så ärendet kan fastna); använd en exklusiv grind, "
        "ett meddelande eller en signal"),
    "compensateEventDefinition": (
        "kompensation stöds inte av SpiffWorkflow 3.2.0; modellera ångrandet som ett "
        "eget flöde efter en felhändelse"),
}


def _unsupported_events(process):
    for tag, message in UNSUPPORTED_EVENTS.items():
        for node in process.xpath(f".//bpmn:{tag}", namespaces=NS):
            yield node.getparent().get("id"), message
    # BPMN allows only interrupting error boundaries; 3.2.0 would follow both flows.
    path = ".//bpmn:boundaryEvent[@cancelActivity='false'][bpmn:errorEventDefinition]"
    for node in process.xpath(path, namespaces=NS):
        yield node.get("id"), ("en gränshändelse för fel måste vara avbrytande "
                               "(cancelActivity=\"true\")")


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
