"""An entry's answer checks: questions asked before a new model or prompt stays in service."""
