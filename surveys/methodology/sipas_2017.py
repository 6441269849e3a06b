"""The default questionnaire `SIPAS-2017` (Decision 2640/QĐ-BNV model): 5 factors, 22 criteria (4/5/6/3/4),
a satisfaction question per factor, the overall question, the PA filter, reported facts, needs and profile.

This is data, loaded into the database by a migration (surveys.services.methodology.load_methodology);
the database copy is what campaigns pin. Wording is plain Vietnamese written by the project, with English.
"""

SCALE5 = [
    ("1", "Rất không hài lòng", "Very dissatisfied"),
    ("2", "Không hài lòng", "Dissatisfied"),
    ("3", "Bình thường", "Neutral"),
    ("4", "Hài lòng", "Satisfied"),
    ("5", "Rất hài lòng", "Very satisfied"),
]
YES_NO = [("1", "Có", "Yes"), ("2", "Không", "No")]
NO_YES = [("1", "Không", "No"), ("2", "Có", "Yes")]

FACTORS = [
    ("TC", "Tiếp cận dịch vụ hành chính công", "Access to the service", [
        ("TC1", "Nơi ngồi chờ tại Bộ phận Một cửa có đủ chỗ ngồi", "The waiting area has enough seats"),
        ("TC2", "Trang thiết bị phục vụ người dân, tổ chức tại Bộ phận Một cửa đầy đủ", "Equipment for citizens is sufficient"),
        ("TC3", "Trang thiết bị tại Bộ phận Một cửa hiện đại", "The equipment is modern"),
        ("TC4", "Trang thiết bị tại Bộ phận Một cửa dễ sử dụng", "The equipment is easy to use"),
    ]),
    ("TT", "Thủ tục hành chính", "Administrative procedure", [
        ("TT1", "Thủ tục hành chính được niêm yết công khai đầy đủ", "The procedure is posted publicly and completely"),
        ("TT2", "Thủ tục hành chính được niêm yết công khai chính xác", "The posted procedure is accurate"),
        ("TT3", "Thành phần hồ sơ phải nộp đúng quy định", "The documents required are as regulated"),
        ("TT4", "Phí, lệ phí phải nộp đúng quy định", "The fees charged are as regulated"),
        ("TT5", "Thời hạn giải quyết (từ khi nộp hồ sơ đến khi nhận kết quả) đúng quy định",
         "The processing time, from filing to result, is as regulated"),
    ]),
    ("CC", "Công chức trực tiếp giải quyết công việc", "Civil servant handling the case", [
        ("CC1", "Công chức có thái độ giao tiếp lịch sự", "The civil servant is polite"),
        ("CC2", "Công chức chú ý lắng nghe ý kiến của Ông/Bà", "The civil servant listens attentively"),
        ("CC3", "Công chức trả lời, giải thích đầy đủ các ý kiến của Ông/Bà", "The civil servant answers and explains fully"),
        ("CC4", "Công chức hướng dẫn kê khai hồ sơ tận tình, chu đáo", "The civil servant guides the filing thoroughly"),
        ("CC5", "Công chức hướng dẫn kê khai hồ sơ dễ hiểu", "The guidance is easy to understand"),
        ("CC6", "Công chức tuân thủ đúng quy định trong giải quyết công việc", "The civil servant follows the regulations"),
    ]),
    ("KQ", "Kết quả cung ứng dịch vụ hành chính công", "Result of the service", [
        ("KQ1", "Kết quả Ông/Bà nhận được đúng quy định", "The result is as regulated"),
        ("KQ2", "Kết quả có thông tin đầy đủ", "The result's information is complete"),
        ("KQ3", "Kết quả có thông tin chính xác", "The result's information is accurate"),
    ]),
    ("GY", "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị", "Receiving and handling feedback", [
        ("GY1", "Cơ quan có bố trí hình thức tiếp nhận góp ý, phản ánh, kiến nghị", "The agency provides a way to give feedback"),
        ("GY2", "Ông/Bà dễ dàng thực hiện góp ý, phản ánh, kiến nghị", "Giving feedback is easy"),
        ("GY3", "Cơ quan tiếp nhận, xử lý tích cực các góp ý, phản ánh, kiến nghị", "Feedback is received and handled actively"),
        ("GY4", "Cơ quan thông báo kịp thời kết quả xử lý góp ý, phản ánh, kiến nghị",
         "The outcome of feedback is reported back promptly"),
    ]),
]  # fmt: skip

FACTOR_SATISFACTION = {
    "TC": ("Ông/Bà hài lòng thế nào về việc tiếp cận dịch vụ tại Bộ phận Một cửa?", "How satisfied are you with access to the service?"),
    "TT": ("Ông/Bà hài lòng thế nào về thủ tục hành chính?", "How satisfied are you with the administrative procedure?"),
    "CC": ("Ông/Bà hài lòng thế nào về công chức trực tiếp giải quyết công việc?", "How satisfied are you with the civil servant who handled your case?"),
    "KQ": ("Ông/Bà hài lòng thế nào về kết quả nhận được?", "How satisfied are you with the result you received?"),
    "GY": ("Ông/Bà hài lòng thế nào về việc tiếp nhận, xử lý góp ý, phản ánh, kiến nghị?", "How satisfied are you with how your feedback was handled?"),
}  # fmt: skip

GY_FOLLOW_UPS = ("GY2", "GY3", "GY4", "HL_GY")
PA_YES = {"question": "PA", "values": ["1"]}
TH_LATE = {"question": "TH", "values": ["3"]}


def _options(items):
    return [{"code": code, "label": vi, "label_en": en} for code, vi, en in items]


def _question(
    code, kind, text, text_en, role, *, factor=None, options=None, shown_if=None, max_choices=None, section=None
):
    return {
        "code": code, "kind": kind, "text": text, "text_en": text_en, "role": role, "factor": factor,
        "options": _options(options) if options else [], "shown_if": shown_if, "max_choices": max_choices,
        "section": section or factor or role,
    }  # fmt: skip


def definition() -> dict:
    questions = []
    for factor, _name, _name_en, criteria in FACTORS:
        for code, text, text_en in criteria:
            if factor == "GY" and code == "GY2":
                questions.append(
                    _question("PA", "yes_no", "Ông/Bà có góp ý, phản ánh, kiến nghị với cơ quan này không?",
                              "Did you give feedback or make a complaint to this agency?", "filter",
                              options=YES_NO, section="GY")
                )  # fmt: skip
            shown_if = PA_YES if code in GY_FOLLOW_UPS else None
            questions.append(_question(code, "scale5", text, text_en, "criterion", factor=factor, shown_if=shown_if))
        text, text_en = FACTOR_SATISFACTION[factor]
        questions.append(
            _question(f"HL_{factor}", "scale5", text, text_en, "factor_satisfaction", factor=factor,
                      shown_if=PA_YES if factor == "GY" else None)
        )  # fmt: skip
    questions += [
        _question("HL", "scale5", "Nhìn chung, Ông/Bà hài lòng thế nào về sự phục vụ của cơ quan?",
                  "Overall, how satisfied are you with the agency's service?", "overall", section="overall"),
        _question("DL", "single", "Ông/Bà phải đi lại bao nhiêu lần để giải quyết hồ sơ này?",
                  "How many visits did this dossier need?", "fact",
                  options=[("1", "1 lần", "Once"), ("2", "2 lần", "Twice"), ("3", "3 lần", "Three times"),
                           ("4", "4 lần trở lên", "Four or more")], section="facts"),
        _question("TH", "single", "Kết quả được trả cho Ông/Bà thế nào so với giấy hẹn?",
                  "When was the result returned, compared with the appointment?", "fact",
                  options=[("1", "Sớm hơn hẹn", "Early"), ("2", "Đúng hẹn", "On time"), ("3", "Trễ hẹn", "Late")],
                  section="facts"),
        _question("XL", "yes_no", "Khi trễ hẹn, Ông/Bà có nhận được văn bản xin lỗi của cơ quan không?",
                  "As the result was late, did you receive a written apology?", "fact",
                  options=YES_NO, shown_if=TH_LATE, section="facts"),
        _question("PH", "single", "Có công chức nào gây phiền hà, sách nhiễu Ông/Bà không?",
                  "Did a civil servant cause you trouble or harass you?", "fact", options=NO_YES, section="facts"),
        _question("TN", "single", "Ông/Bà có bị yêu cầu nộp thêm tiền ngoài phí, lệ phí theo quy định không?",
                  "Were you asked to pay more than the regulated fees?", "fact", options=NO_YES, section="facts"),
        _question("NC", "multi", "Ông/Bà mong muốn cơ quan cải thiện điều gì nhất? (chọn tối đa 3)",
                  "What would you most like the agency to improve? (up to 3)", "needs", max_choices=3,
                  options=[
                      ("NC1", "Mở rộng các hình thức thông tin để người dân dễ tiếp cận", "Broaden information channels"),
                      ("NC2", "Cải thiện chỗ ngồi và trang thiết bị tại Bộ phận Một cửa", "Better seating and equipment"),
                      ("NC3", "Đơn giản hóa thủ tục hành chính", "Simpler procedures"),
                      ("NC4", "Giảm phí, lệ phí", "Lower fees"),
                      ("NC5", "Rút ngắn thời gian giải quyết", "Shorter processing time"),
                      ("NC6", "Cải thiện thái độ phục vụ của công chức", "Better attitude of civil servants"),
                      ("NC7", "Nâng cao năng lực của công chức", "More competent civil servants"),
                      ("NC8", "Tiếp nhận, xử lý tốt hơn góp ý, phản ánh, kiến nghị", "Better handling of feedback"),
                      ("NC9", "Cung cấp thêm dịch vụ công trực tuyến", "More online public services"),
                  ], section="needs"),
        _question("GT", "single", "Giới tính", "Gender", "profile",
                  options=[("1", "Nam", "Male"), ("2", "Nữ", "Female"), ("3", "Khác", "Other")], section="profile"),
        _question("TUOI", "single", "Độ tuổi", "Age", "profile",
                  options=[("1", "18–25", "18–25"), ("2", "26–34", "26–34"), ("3", "35–49", "35–49"),
                           ("4", "50–60", "50–60"), ("5", "Trên 60", "Over 60")], section="profile"),
        _question("HV", "single", "Trình độ học vấn", "Education", "profile",
                  options=[("1", "Tiểu học", "Primary"), ("2", "Trung học cơ sở", "Lower secondary"),
                           ("3", "Trung học phổ thông", "Upper secondary"), ("4", "Trung cấp, cao đẳng", "Vocational, college"),
                           ("5", "Đại học", "University"), ("6", "Trên đại học", "Postgraduate")], section="profile"),
        _question("NN", "single", "Nghề nghiệp", "Occupation", "profile",
                  options=[("1", "Cán bộ, công chức, viên chức", "Public employee"), ("2", "Công nhân", "Worker"),
                           ("3", "Nông dân", "Farmer"), ("4", "Kinh doanh, buôn bán", "Business, trade"),
                           ("5", "Học sinh, sinh viên", "Student"), ("6", "Hưu trí", "Retired"), ("7", "Khác", "Other")],
                  section="profile"),
        _question("DT", "single", "Dân tộc", "Ethnic group", "profile",
                  options=[("1", "Kinh", "Kinh"), ("2", "Dân tộc khác", "Other")], section="profile"),
        _question("KV", "single", "Nơi sinh sống", "Area", "profile",
                  options=[("1", "Thành thị", "Urban"), ("2", "Nông thôn", "Rural")], section="profile"),
        _question("LV", "single", "Lĩnh vực của thủ tục", "Field of the procedure", "profile",
                  options=[("1", "Đất đai", "Land"), ("2", "Xây dựng", "Construction"), ("3", "Hộ tịch", "Civil status"),
                           ("4", "Tư pháp, chứng thực", "Justice, certification"), ("5", "Kinh doanh, đầu tư", "Business, investment"),
                           ("6", "Lao động, người có công, xã hội", "Labour and social affairs"), ("7", "Giáo dục", "Education"),
                           ("8", "Y tế", "Health"), ("9", "Khác", "Other")], section="profile"),
        _question("YK", "text", "Ý kiến khác để cơ quan phục vụ tốt hơn", "Other comments to help the agency serve better",
                  "comment", section="comment"),
    ]  # fmt: skip
    return {
        "code": "SIPAS-2017",
        "name": "SIPAS 2017 (Quyết định 2640/QĐ-BNV): 5 yếu tố, 22 tiêu chí",
        "name_en": "SIPAS 2017 (Decision 2640/QĐ-BNV): 5 factors, 22 criteria",
        "scoring": "share-positive",
        "positive_min": 4,
        "scale": _options(SCALE5),
        "factors": [{"code": c, "name": n, "name_en": e} for c, n, e, _ in FACTORS],
        "questions": questions,
    }
