"""Local development tooling: read template.yaml (``cfn``) and run the stack without AWS or Docker."""
