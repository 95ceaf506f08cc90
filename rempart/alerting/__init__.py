"""Alerts of the supervision server (PURE): rules, the alert state machine, the disk-full
forecast, provider incidents and the text of notifications. No disk, clock or network:
time and values are arguments; decisions are values (:class:`~rempart.alerting.values.Alert`,
:class:`~rempart.alerting.values.AlertTransition`)."""
