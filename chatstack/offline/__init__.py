"""The Pulumi program evaluated offline under mocks, and the preview built from it."""
