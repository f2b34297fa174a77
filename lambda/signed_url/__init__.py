"""The signed-URL issuer: ``GET /playback/{titleId}`` returns signed URLs and cookies for one title."""
