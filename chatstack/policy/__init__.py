"""The policy pack: its rules (rules.py) and the offline runner behind `chatstack policy`."""
