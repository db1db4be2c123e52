"""Stage 5, rendering: documents, diagrams, plots and generated code, as text or bytes, from Derived facts."""
