"""ember.optim: optimizers with torch's API."""

__all__: list[str] = []
