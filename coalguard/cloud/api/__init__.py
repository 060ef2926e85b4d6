"""The cloud API's shared shape: dependencies, problem responses, declared statuses."""
