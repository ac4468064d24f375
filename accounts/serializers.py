from rest_framework import serializers

from accounts.models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "phone_number", "first_name", "last_name", "is_verified"]
        read_only_fields = fields


class LoginInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class LoginOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PinSetInputSerializer(serializers.Serializer):
    pin = serializers.CharField(min_length=4, max_length=6, trim_whitespace=False)
    password = serializers.CharField(required=False, trim_whitespace=False, style={"input_type": "password"})
    old_pin = serializers.CharField(required=False, max_length=6, trim_whitespace=False)


class PinVerifyInputSerializer(serializers.Serializer):
    pin = serializers.CharField(max_length=6, trim_whitespace=False)


class PinTokenOutputSerializer(serializers.Serializer):
    pin_token = serializers.CharField()
    expires_at = serializers.DateTimeField()
