"""The dynamic-provider process's generic plumbing: what every resource kind's provider shares."""
