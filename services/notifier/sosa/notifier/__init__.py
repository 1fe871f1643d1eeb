"""sosa notifier: tells every party what it needs to know, by signed webhook, with retries."""
