"""What a run says: its report (text and Markdown), the review queue, explain."""
