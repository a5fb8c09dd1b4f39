"""Pydantic request/response schemas, one module per feature (`ProductCreate / ProductUpdate / ProductRead`)."""
