"""ember.utils.data: datasets and data loaders with torch's API."""

__all__: list[str] = []
