"""Messages that reach people on time (issue 21): contacts, events, the outbox and its sender.

- contacts: where the district, a subdistrict or a responsible unit receives messages;
- events: what is worth a message, found by an idempotent scan;
- channels: e-mail (SMTP), WeCom and DingTalk group robots, a generic JSON webhook;
- sender: the outbox, the lease, the scan's watermark, delivery with retries,
  `python -m civdata notify run`;
- vault: channel secrets and webhook URLs sealed at rest with the installation's secret.
"""
