"""The organizer's control pages of the talk plugin (CfP, proposals, review, rooms, schedule)."""
