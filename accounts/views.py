from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import dormancy, kyc, personal_data, registration, services, social, two_factor
from accounts.providers.smileid.adapter import SmileIdPayloadError, SmileIdSignatureError
from accounts.serializers import (
    AVATAR_TYPES,
    AcceptedSerializer,
    DeviceSerializer,
    KycInputSerializer,
    KycStatusSerializer,
    LoginInputSerializer,
    LoginOutputSerializer,
    PasswordChangeInputSerializer,
    PasswordConfirmSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    PinSetInputSerializer,
    PinTokenOutputSerializer,
    PinVerifyInputSerializer,
    ProfileUpdateFormInputSerializer,
    ProfileUpdateInputSerializer,
    ProfileUpdateJsonInputSerializer,
    ReactivateInputSerializer,
    RecoveryCodesSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    SocialSignInInputSerializer,
    TokenInputSerializer,
    TokenPairSerializer,
    TwoFactorChallengeSerializer,
    TwoFactorCodeSerializer,
    TwoFactorSetupSerializer,
    TwoFactorVerifySerializer,
    UserSerializer,
)
from config.client_ip import client_ip
from config.raw_body import RawBodyParser
from core.errors import WebhookRejectedError

SIGN_IN_RESULT = PolymorphicProxySerializer(
    component_name="SignInResult",
    serializers=[LoginOutputSerializer, TwoFactorChallengeSerializer],
    resource_type_field_name=None,
)


def sign_in_response(request, user) -> Response:
    answer = services.sign_in_answer(user=user)
    if "challenge" in answer:
        return Response(TwoFactorChallengeSerializer(answer).data)
    _announce_sign_in(request, user)
    return Response(LoginOutputSerializer(answer).data)


def _announce_sign_in(request, user) -> None:
    services.announce_sign_in(user=user, ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""))


class LoginApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = "auth"

    @extend_schema(
        summary="Log in with email and password",
        request=LoginInputSerializer,
        responses={
            200: SIGN_IN_RESULT,
            401: OpenApiResponse(description="Wrong email or password (`invalid_credentials`)."),
            429: OpenApiResponse(description="`account_locked` or `throttled`; see `Retry-After`."),
        },
        auth=[],
    )
    def post(self, request):
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return sign_in_response(request, services.log_in(request=request, **data.validated_data))


class RefreshApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = "auth"

    @extend_schema(
        summary="Exchange a refresh token for a new pair (rotated; a reused token ends its whole family)",
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, 401: OpenApiResponse(description="`token_invalid`.")},
        auth=[],
    )
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.rotate_refresh_token(refresh=data.validated_data["refresh"]))


class LogoutApi(APIView):
    @extend_schema(
        summary="Log out: blacklist the refresh token and end every session (all tokens issued until now)",
        request=RefreshInputSerializer,
        responses={
            204: None,
            401: OpenApiResponse(
                description="Not signed in, or the token is not yours or not valid (`token_invalid`)."
            ),
        },
    )
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.log_out(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    parser_classes = (JSONParser, MultiPartParser)

    @extend_schema(summary="The signed-in user", responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        summary="Update names, phone, language, avatar (multipart) or email (then verify it again)",
        request={
            "application/json": ProfileUpdateJsonInputSerializer,
            "multipart/form-data": OpenApiRequest(
                ProfileUpdateFormInputSerializer, encoding={"avatar": {"contentType": ", ".join(sorted(AVATAR_TYPES))}}
            ),
        },
        responses={200: UserSerializer},
    )
    def patch(self, request):
        data = ProfileUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(UserSerializer(registration.update_profile(user=request.user, **data.validated_data)).data)


class PinApi(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Set or change the transaction PIN (confirm with the password, or the current PIN)",
        request=PinSetInputSerializer,
        responses={
            204: None,
            401: OpenApiResponse(description="`invalid_credentials`: the password is not right."),
            403: OpenApiResponse(description="`pin_invalid` or `pin_locked` (the current PIN)."),
            429: OpenApiResponse(description="`account_locked`: too many wrong passwords (here or at login)."),
        },
    )
    def post(self, request):
        data = PinSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_pin(request=request, user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PinVerifyApi(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Enter the PIN: a single-use token for X-Pin-Token, valid five minutes",
        request=PinVerifyInputSerializer,
        responses={
            200: PinTokenOutputSerializer,
            403: OpenApiResponse(description="`pin_invalid`, `pin_locked` (with `retry_after`) or `pin_not_set`."),
        },
    )
    def post(self, request):
        data = PinVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, expires_at = services.issue_pin_token(user=request.user, pin=data.validated_data["pin"])
        return Response(PinTokenOutputSerializer({"pin_token": token, "expires_at": expires_at}).data)


class _PublicApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = "auth"


class SignupApi(_PublicApi):
    @extend_schema(
        summary="Sign up; the same 202 whether or not the email is taken (a link or a notice is mailed)",
        request=SignupInputSerializer,
        responses={202: AcceptedSerializer},
        auth=[],
    )
    def post(self, request):
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration.sign_up(**data.validated_data)
        return Response({"detail": "Check your email to continue."}, status=status.HTTP_202_ACCEPTED)


class VerifyEmailApi(_PublicApi):
    @extend_schema(
        summary="Confirm the email address with the token from the emailed link",
        request=TokenInputSerializer,
        responses={200: UserSerializer, 400: OpenApiResponse(description="`link_invalid`: expired or altered.")},
        auth=[],
    )
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(UserSerializer(registration.verify_email(token=data.validated_data["token"])).data)


class PasswordResetApi(_PublicApi):
    @extend_schema(
        summary="Ask for a password-reset link; the same 202 for any email",
        request=PasswordResetInputSerializer,
        responses={202: AcceptedSerializer},
        auth=[],
    )
    def post(self, request):
        data = PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration.request_password_reset(email=data.validated_data["email"])
        return Response({"detail": "If that email has an account, a reset link is on its way."}, status=202)


class PasswordResetConfirmApi(_PublicApi):
    @extend_schema(
        summary="Set a new password with the emailed link; every session ends",
        request=PasswordResetConfirmInputSerializer,
        responses={204: None, 400: OpenApiResponse(description="`link_invalid` or `validation_error`.")},
        auth=[],
    )
    def post(self, request):
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration.reset_password(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeApi(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Change the password; every other session ends, this one gets new tokens",
        request=PasswordChangeInputSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(description="`invalid_credentials`."),
            429: OpenApiResponse(description="`account_locked`: too many wrong passwords (here or at login)."),
        },
    )
    def post(self, request):
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration.change_password(request=request, user=request.user, **data.validated_data)
        return Response(services.issue_tokens(user=request.user))


class DeviceListApi(APIView):
    @extend_schema(summary="My devices registered for push", responses={200: DeviceSerializer(many=True)})
    def get(self, request):
        return Response(DeviceSerializer(request.user.devices.order_by("-last_seen_at"), many=True).data)

    @extend_schema(
        summary="Register this device's FCM token", request=DeviceSerializer, responses={201: DeviceSerializer}
    )
    def post(self, request):
        data = DeviceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = services.register_device(user=request.user, **data.validated_data)
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceApi(APIView):
    @extend_schema(summary="Unregister a device (no more push to it)", responses={204: None})
    def delete(self, request, device_id: int):
        if not services.unregister_device(user=request.user, device_id=device_id):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TwoFactorSetupApi(APIView):
    @extend_schema(
        summary="Start two-factor setup: the otpauth URI and its QR code (PNG, base64)",
        request=None,
        responses={200: TwoFactorSetupSerializer, 409: OpenApiResponse(description="Already on.")},
    )
    def post(self, request):
        return Response(two_factor.start_setup(user=request.user))


class TwoFactorConfirmApi(APIView):
    @extend_schema(
        summary="Confirm setup with a code from the app; answers ten single-use recovery codes, shown once",
        request=TwoFactorCodeSerializer,
        responses={
            200: RecoveryCodesSerializer,
            401: OpenApiResponse(description="`two_factor_invalid`."),
            409: OpenApiResponse(description="`conflict`: no setup started, or two-factor is already on."),
        },
    )
    def post(self, request):
        data = TwoFactorCodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            {"recovery_codes": two_factor.confirm_setup(user=request.user, code=data.validated_data["code"])}
        )


class TwoFactorVerifyApi(_PublicApi):
    @extend_schema(
        summary="Finish a two-factor sign-in: the login challenge and a code from the app (or a recovery code)",
        request=TwoFactorVerifySerializer,
        responses={200: LoginOutputSerializer, 401: OpenApiResponse(description="`two_factor_invalid`.")},
        auth=[],
    )
    def post(self, request):
        data = TwoFactorVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = two_factor.complete_login(**data.validated_data)
        _announce_sign_in(request, user)
        return Response(LoginOutputSerializer({**services.issue_tokens(user=user), "user": user}).data)


class TwoFactorDisableApi(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Turn two-factor sign-in off (confirm with the password)",
        request=PasswordConfirmSerializer,
        responses={
            204: None,
            401: OpenApiResponse(description="`invalid_credentials`."),
            429: OpenApiResponse(description="`account_locked`: too many wrong passwords (here or at login)."),
        },
    )
    def post(self, request):
        data = PasswordConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        two_factor.disable(request=request, user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class KycApi(APIView):
    @extend_schema(summary="My KYC tier and the latest verification's status", responses={200: KycStatusSerializer})
    def get(self, request):
        latest = request.user.kyc_submissions.first()
        return Response(
            {
                "tier": request.user.kyc_tier,
                "status": latest.status if latest else None,
                "result_text": latest.result_text if latest else "",
            }
        )

    @extend_schema(
        summary="Submit identity data (NIN or BVN in Nigeria, national ID in Kenya) for verification",
        request=KycInputSerializer,
        responses={
            202: KycStatusSerializer,
            409: OpenApiResponse(description="`conflict`: one is under way."),
            503: OpenApiResponse(description="`provider_unavailable`: the identity provider could not be reached."),
        },
    )
    def post(self, request):
        data = KycInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = kyc.submit_kyc(user=request.user, **data.validated_data)
        return Response(
            {"tier": request.user.kyc_tier, "status": submission.status, "result_text": ""},
            status=status.HTTP_202_ACCEPTED,
        )


class SmileIdWebhookApi(_PublicApi):
    throttle_classes = ()
    parser_classes = (RawBodyParser,)
    request_body_required = True  # no body is no JSON object: 400

    @extend_schema(
        summary="Smile ID job results (signed with our API key; a result already applied changes nothing)",
        request={"application/json": {"type": "object"}},
        responses={
            200: AcceptedSerializer,
            400: OpenApiResponse(description="`parse_error`: the body is not a JSON object."),
            401: OpenApiResponse(
                description="`signature_invalid`: missing or wrong, or its timestamp older than ten minutes "
                "or ahead of our clock."
            ),
        },
        auth=[],
    )
    def post(self, request):
        body = request.data if isinstance(request.data, bytes) else b""  # an empty body parses to {}
        try:
            outcome = kyc.receive_smileid_callback(headers=request.headers, body=body)
        except SmileIdPayloadError as exc:
            raise ParseError(str(exc)) from exc
        except SmileIdSignatureError as exc:
            raise WebhookRejectedError() from exc
        return Response({"detail": outcome})


class SocialSignInApi(_PublicApi):
    @extend_schema(
        summary="Sign in with a Google or Apple ID token (linked by verified email, or a new account)",
        request=SocialSignInInputSerializer,
        responses={
            200: SIGN_IN_RESULT,
            401: OpenApiResponse(description="`social_token_invalid`: forged, expired, another app's, or no email."),
            503: OpenApiResponse(description="`provider_unavailable`: the provider's keys could not be fetched."),
        },
        auth=[],
    )
    def post(self, request, provider: str):
        data = SocialSignInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = social.social_sign_in(
            provider_name=provider,
            token=data.validated_data["id_token"],
            nonce=data.validated_data.get("nonce"),
            first_name=data.validated_data["first_name"],
            last_name=data.validated_data["last_name"],
        )
        return sign_in_response(request, user)


class ExportApi(APIView):
    @extend_schema(summary="Everything Pamoja holds about me, as JSON", responses={200: {"type": "object"}})
    def get(self, request):
        response = Response(personal_data.export_personal_data(user=request.user))
        response["Content-Disposition"] = 'attachment; filename="pamoja-my-data.json"'
        return response


class DeleteAccountApi(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Delete my account: anonymised, financial records kept; refused while money is open",
        request=PasswordConfirmSerializer,
        responses={
            204: None,
            401: OpenApiResponse(description="`invalid_credentials`."),
            409: OpenApiResponse(description="`account_has_obligations`; `details.reasons` lists them."),
            429: OpenApiResponse(description="`account_locked`: too many wrong passwords (here or at login)."),
        },
    )
    def post(self, request):
        data = PasswordConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        personal_data.delete_account(request=request, user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReactivateApi(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Enter the code emailed at a dormant account's sign-in, so money can move again",
        request=ReactivateInputSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                description="`reactivation_code_invalid`, with `details.attempts_left`; at 0 the code is burned "
                "and a new sign-in mails a new one."
            ),
        },
    )
    def post(self, request):
        data = ReactivateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dormancy.reactivate(user=request.user, code=data.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)
