"""Member numbers (the enterprise's employees who may place calls); the minute pool comes later."""
