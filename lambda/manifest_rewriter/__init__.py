"""The manifest rewriter: copies the viewer's CloudFront token onto every in-scope URI of an HLS or DASH manifest."""
