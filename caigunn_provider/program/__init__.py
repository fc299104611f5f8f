"""The program process: load the stack file, check the account, recover, declare, export."""
