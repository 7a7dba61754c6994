"""Resolution conflicts: explain pip's conflict and propose the smallest verified fix."""
