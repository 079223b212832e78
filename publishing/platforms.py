"""What each chat platform takes of a message."""

# Bytes of message text each platform takes (its documented limits, with room for the JSON around it):
# Slack truncates `text` at 40,000 characters; Feishu refuses a request body over 20 KB; DingTalk a
# message over 20,000 bytes. A generic receiver gets up to 256 KB.
TEXT_BUDGET = {"slack": 38_000, "feishu": 18_000, "dingtalk": 18_000, "webhook": 250_000}
