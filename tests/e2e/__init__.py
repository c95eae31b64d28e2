"""End-to-end tests: a real Teams client (the Microsoft 365 Agents Playground) driven in headless Chromium."""
