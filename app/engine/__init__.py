"""The BPMN engine: the only package that imports SpiffWorkflow.

specs (catalogue), scripting (restricted environment), serializer, instances (Engine),
tasks (human-task projection), timers, incidents, deployment (versions from the database),
migration (moving cases between versions).
"""
