from rest_framework import serializers

from eventyay_badges.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "created"]
        read_only_fields = ["id", "created"]
