"""The moderator's side: sign-in, the queue and its actions, notices of held comments, retention of old
spam and trash.
"""
