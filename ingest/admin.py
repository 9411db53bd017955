from django.contrib import admin

from ingest.models import InboxItem, QuotaCounter


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    """Read-only: the inbox is the pipeline's queue, shown for troubleshooting."""

    list_display = ["id", "kind", "project_id", "event_id", "received", "claimed_until", "attempts"]
    list_filter = ["kind"]
    exclude = ["payload"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(QuotaCounter)
class QuotaCounterAdmin(admin.ModelAdmin):
    """Quota usage when counters live in the database (no Redis configured)."""

    list_display = ["key", "used", "refunded", "created"]
    search_fields = ["key"]
