"""Generic provider-process plumbing shared by every resource kind."""
