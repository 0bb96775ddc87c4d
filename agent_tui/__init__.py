"""What a person touches: the Textual app for agents and shift leads, and the `hotline` CLI."""
