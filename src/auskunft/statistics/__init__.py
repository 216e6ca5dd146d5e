"""Statistics (issue 14): the service center's figures from its records — calls, contacts,
appointments, concerns — linked, with exact definitions (docs/statistics.md)."""
