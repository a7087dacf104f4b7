"""Event rehearsals on Locust (`chatstack loadtest`): simulated attendees over AppSync's
real-time protocol, on one machine or distributed over Locust workers."""
