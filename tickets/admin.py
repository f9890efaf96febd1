from django.contrib import admin

from tickets.models import Category, Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name_fr", "name_en", "slug", "is_active")
    prepopulated_fields = {"slug": ("name_fr",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name_fr", "name_en", "queue", "position", "is_active")
    list_filter = ("queue", "is_active")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name_fr",)}
